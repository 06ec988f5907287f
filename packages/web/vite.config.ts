/**
 * Builds the web UI into dist/, which the daemon serves at `/`. In development, `vite` proxies
 * the API (and the console WebSocket) to a daemon on HERD_URL (default http://127.0.0.1:8080).
 */
import { defineConfig } from 'vite';

const daemon = process.env.HERD_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: true,
    chunkSizeWarningLimit: 600,
    rolldownOptions: {
      output: {
        codeSplitting: {
          // Everything the first page needs in one chunk: left alone, Rolldown splits modules the
          // lazy chunks share with it into several small common chunks (more requests, and a few
          // KiB more gzip), more so once a lazy chunk has a top-level await (noVNC's).
          groups: [{ name: 'index', tags: ['$initial'] }],
        },
      },
    },
  },
  server: { proxy: { '/api': { target: daemon, ws: true, changeOrigin: true } } },
});
