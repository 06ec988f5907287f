/** qemu-img, the tool that makes and inspects disk images. Its JSON output is decoded here. */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { run } from '../host/exec.js';

const ImageInfo = Type.Object({
  format: Type.String(),
  'virtual-size': Type.Number(),
  'actual-size': Type.Optional(Type.Number()),
  'backing-filename': Type.Optional(Type.String()),
  encrypted: Type.Optional(Type.Boolean()),
});
/** What `qemu-img info` says of an image. */
export type ImageInfo = Static<typeof ImageInfo>;

/** Reads an image's format and sizes. Throws when qemu-img cannot read it. */
export async function imageInfo(path: string): Promise<ImageInfo> {
  const r = await run('qemu-img', ['info', '--output=json', '-U', path], { timeoutMs: 30_000 });
  const parsed: unknown = JSON.parse(r.stdout);
  // qemu-img prints extra fields; only the ones herd uses are checked and kept.
  const info = Value.Clean(ImageInfo, Value.Clone(parsed));
  if (!Value.Check(ImageInfo, info)) throw new Error(`qemu-img info gave unexpected output for ${path}`);
  return info;
}

/**
 * Creates a qcow2 overlay at `path` backed by `backing` (a linked clone: copy-on-write, O(1) in
 * the size of the backing image), with virtual size `sizeBytes`.
 */
export async function createOverlay(path: string, backing: string, backingFormat: 'qcow2' | 'raw', sizeBytes: number): Promise<void> {
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', backing, '-F', backingFormat, path, String(sizeBytes)], {
    timeoutMs: 30_000,
  });
}

/**
 * Copies `source` to `target` as `format`, flattening any backing chain, reporting progress
 * (0-100) as it goes.
 */
export async function convertImage(
  source: string,
  target: string,
  format: 'qcow2' | 'raw',
  onProgress?: (pct: number) => void,
): Promise<void> {
  await run('qemu-img', ['convert', '-p', '-O', format, source, target], {
    timeoutMs: 3_600_000,
    onStdout: (chunk) => {
      const m = /\((\d+(?:\.\d+)?)\/100%\)/.exec(chunk.split('\r').filter(Boolean).pop() ?? '');
      if (m && onProgress) onProgress(Number(m[1]));
    },
  });
}
