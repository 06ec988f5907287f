/**
 * Finds the built web UI (the dist/ folder of the @herd/web package, resolved at run time) and
 * loads it into memory once, with a gzip copy of each compressible file, so the HTTP layer
 * serves it without touching the file system. The whole UI is a few hundred KiB.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

/** One file of the UI. */
export interface WebAsset {
  readonly body: Buffer;
  /** The gzip-compressed body, when it is smaller. */
  readonly gzip: Buffer | undefined;
  readonly contentType: string;
  /** Hashed file names (under assets/) never change; everything else is revalidated. */
  readonly immutable: boolean;
}

/** The UI's files by URL path (`/index.html`, `/assets/index-abc.js`). */
export interface WebAssets {
  readonly root: string;
  readonly files: ReadonlyMap<string, WebAsset>;
  readonly index: WebAsset;
}

const types: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

/** The dist/ folder of the installed @herd/web package, or undefined when it is not installed. */
export function webDistDir(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve('@herd/web/package.json')), 'dist');
  } catch {
    return undefined;
  }
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(join(dir, d.name)) : d.isFile() ? [join(dir, d.name)] : []));
}

/**
 * Loads the UI from `dir` (default: the @herd/web package's dist/). Returns undefined when the
 * UI has not been built (no index.html), so the daemon still serves its API.
 */
export function loadWebAssets(dir = webDistDir()): WebAssets | undefined {
  if (!dir) return undefined;
  try {
    if (!statSync(join(dir, 'index.html')).isFile()) return undefined;
  } catch {
    return undefined;
  }
  const files = new Map<string, WebAsset>();
  for (const file of walk(dir)) {
    const body = readFileSync(file);
    const ext = extname(file).toLowerCase();
    const contentType = types[ext] ?? 'application/octet-stream';
    const compressible = /^(text\/|application\/json|image\/svg)/.test(contentType);
    const gz = compressible && body.length > 512 ? gzipSync(body, { level: 9 }) : undefined;
    const path = `/${relative(dir, file).split(sep).join('/')}`;
    files.set(path, { body, gzip: gz && gz.length < body.length ? gz : undefined, contentType, immutable: path.startsWith('/assets/') });
  }
  return { root: dir, files, index: files.get('/index.html')! };
}
