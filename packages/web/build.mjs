#!/usr/bin/env node
// Builds the UI with this package's own Vite (the root's copy belongs to Vitest), after a type
// check; `--dev` starts the dev server instead, proxying the API to HERD_URL.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// Resolved from this folder, so this is packages/web's Vite even when the root has another.
import { build, createServer } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

if (process.argv.includes('--dev')) {
  const server = await createServer({ root: here, configFile: join(here, 'vite.config.ts') });
  await server.listen();
  server.printUrls();
} else {
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(here, 'tsconfig.json'), '--noEmit'], { stdio: 'inherit' });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  await build({ root: here, configFile: join(here, 'vite.config.ts'), logLevel: 'warn' });
}
