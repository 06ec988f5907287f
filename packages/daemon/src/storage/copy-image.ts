/**
 * Flattened copies of disk images with `qemu-img convert`, encrypted or not on either side.
 * Secrets go to qemu-img as files (`--object secret,file=`), never on its command line.
 */
import { run } from '../host/exec.js';
import { escapeOptionValue } from '../qemu/escape.js';

/** One side of a copy. */
export interface ImageEnd {
  readonly path: string;
  readonly format: 'qcow2' | 'raw';
  /** LUKS passphrase file of an encrypted qcow2. */
  readonly keyFile?: string;
  /** Target only: write into this existing file or block device instead of creating it. */
  readonly existing?: boolean;
}

/**
 * Copies `source` into a new image at `target` (which must not exist, unless `existing`), flattening any backing
 * chain, reporting progress (0-100). The target is encrypted when it has a key file.
 */
export async function copyImage(source: ImageEnd, target: ImageEnd, onProgress?: (pct: number) => void): Promise<void> {
  const e = escapeOptionValue;
  const args = ['convert', '-p'];
  if (source.keyFile) args.push('--object', `secret,id=src-key,file=${e(source.keyFile)},format=raw`);
  if (target.keyFile) args.push('--object', `secret,id=dst-key,file=${e(target.keyFile)},format=raw`);
  if (source.keyFile) args.push('--image-opts', `driver=${source.format},file.filename=${e(source.path)},encrypt.key-secret=src-key`);
  else args.push('-f', source.format, source.path);
  args.push('-O', target.format);
  if (target.existing) args.push('-n');
  if (target.keyFile) args.push('-o', 'encrypt.format=luks,encrypt.key-secret=dst-key');
  args.push(target.path);
  await run('qemu-img', args, {
    timeoutMs: 6 * 3_600_000,
    onStdout: (chunk) => {
      const m = /\((\d+(?:\.\d+)?)\/100%\)/.exec(chunk.split('\r').filter(Boolean).pop() ?? '');
      if (m && onProgress) onProgress(Number(m[1]));
    },
  });
}
