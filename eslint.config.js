// Lint, and the layer rules of STYLE.md: the contract package imports nothing from Node, the
// CLI and the web UI never reach into the daemon, the HTTP layer never touches QEMU, processes or files,
// and only host/exec.ts starts processes.
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'fs/promises', 'child_process', 'net', 'path', 'os', 'crypto', 'http', 'url', 'util'];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'var/**', 'bench/results/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['packages/api/src/**/*.ts'],
    ignores: ['packages/api/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: [...nodeBuiltins, 'fastify', 'pino', '@herd/daemon', '@herd/cli'], message: '@herd/api is the contract: no Node, daemon or CLI imports' }] }],
    },
  },
  {
    files: ['packages/cli/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@herd/daemon', '@herd/daemon/*', '**/daemon/src/**', '**/daemon/dist/**'], message: 'the CLI depends on @herd/api only' }] }],
    },
  },
  {
    files: ['packages/web/src/**/*.{ts,tsx}'],
    ignores: ['packages/web/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: [...nodeBuiltins, '@herd/daemon', '@herd/daemon/*', '@herd/cli', '**/daemon/src/**', '**/daemon/dist/**'], message: 'the web UI runs in browsers and depends on @herd/api only' }] }],
    },
  },
  {
    files: ['packages/daemon/src/http/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:child_process', 'node:fs', 'node:fs/promises', 'node:net', 'child_process', 'fs', 'fs/promises', 'net'], message: 'http/ translates and validates; it never touches processes, files or sockets' },
            { group: ['**/qemu/*', '**/host/exec*', '**/host/proc*', '**/storage/*', '**/store/*', '**/reconcile/*'], message: 'http/ calls services, never QEMU, storage, the database or reconcilers directly' },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/daemon/src/**/*.ts'],
    ignores: ['packages/daemon/src/host/exec.ts', 'packages/daemon/src/**/*.test.ts', 'packages/daemon/src/http/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'node:child_process', message: 'only host/exec.ts starts processes' }, { name: 'child_process', message: 'only host/exec.ts starts processes' }] }],
    },
  },
  {
    // The scheduler is pure: hosts and requests in, decisions out (tested and benchmarked without I/O).
    files: ['packages/daemon/src/scheduler/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: [...nodeBuiltins, 'fastify', 'pino', 'kysely', 'better-sqlite3'], message: 'scheduler/ is pure: no Node modules, no I/O' }] }],
    },
  },
  {
    // The daemon runs in V8's lite mode, which has no WebAssembly, and Node's fetch() needs it.
    files: ['packages/daemon/src/**/*.ts'],
    ignores: ['packages/daemon/src/**/*.test.ts'],
    rules: {
      'no-restricted-globals': ['error', { name: 'fetch', message: 'the daemon has no WebAssembly (lite mode) and fetch() needs it; use node:http' }],
    },
  },
);
