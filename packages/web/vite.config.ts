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
  },
  server: { proxy: { '/api': { target: daemon, ws: true, changeOrigin: true } } },
});
