#!/usr/bin/env node
/**
 * Bundles the compiled CLI (dist/main.js, from `tsc -b packages/cli`) into the one file the
 * `herd` executable runs, dist/herd.mjs. Node loads ES modules one file at a time, and the CLI's
 * imports come to about 300 files (the API schemas pull in most of TypeBox): loading them took
 * 0.28 s of every command's 0.38 s; one file takes a fraction of that. The daemon (`herd
 * serve`, imported by name at run time) and yaml (required when asked for) stay outside.
 * Does nothing when the bundle is newer than every compiled file of the CLI and the API.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = dirname(fileURLToPath(import.meta.url));
const dist = join(cli, 'dist');
const out = join(dist, 'herd.mjs');

/** The newest modification time of the .js files under `dir`, leaving out the bundle. */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (e.name.endsWith('.js')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

const inputs = [dist, join(cli, '..', 'api', 'dist')];
if (!existsSync(out) || inputs.some((d) => newest(d) > statSync(out).mtimeMs)) {
  // Loaded only when there is work: esbuild starts a service process.
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(dist, 'main.js')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // commander is CommonJS: its require() calls of node's own modules need a require in an ES module.
    banner: { js: "import { createRequire as herdCreateRequire } from 'node:module';\nconst require = herdCreateRequire(import.meta.url);" },
    external: ['yaml'],
    legalComments: 'none',
    logLevel: 'warning',
  });
}
