/**
 * Serves the web UI at `/`: its files from memory (gzip when the browser takes it), and
 * index.html for every other non-API GET so that the single-page app's own paths survive a
 * reload. Unknown `/api/...` paths keep their JSON route_not_found error.
 */
import { HerdError, apiBase } from '@herd/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { loadWebAssets, type WebAsset, type WebAssets } from '../web/locate-web-assets.js';

function send(request: FastifyRequest, reply: FastifyReply, asset: WebAsset): FastifyReply {
  void reply
    .header('content-type', asset.contentType)
    .header('cache-control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .header('x-content-type-options', 'nosniff')
    .header('vary', 'accept-encoding');
  if (asset.gzip && /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) return reply.header('content-encoding', 'gzip').send(asset.gzip);
  return reply.send(asset.body);
}

/**
 * Registers the UI routes on `app`; call it after the API routes. `assets` defaults to the built
 * @herd/web package; with none (null), `/` says how to build it and the API works as before.
 */
export function registerWebAssets(app: FastifyInstance, assets: WebAssets | null = loadWebAssets() ?? null): void {
  app.get('/*', async (request, reply) => {
    let path: string;
    try {
      path = decodeURIComponent(request.url.split('?')[0] ?? '/');
    } catch {
      path = request.url.split('?')[0] ?? '/';
    }
    if (path === apiBase || path.startsWith(`${apiBase}/`) || path === '/api' || path.startsWith('/api/')) {
      const e = new HerdError('route_not_found', { method: request.method, url: path });
      return reply.code(e.status).send(e.toBody());
    }
    if (!assets) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The herd web UI is not built. Run `npm run build` in the repository (it builds packages/web), then restart `herd serve`. The API is at /api/v1.\n');
    }
    const file = assets.files.get(path === '/' ? '/index.html' : path);
    if (file) return send(request, reply, file);
    // A missing file (a name with an extension, or under assets/) is a 404; any other path is a page of the app.
    if (path.startsWith('/assets/') || /\.[a-z0-9]+$/i.test(path)) return reply.code(404).type('text/plain; charset=utf-8').send(`no file ${path}\n`);
    return send(request, reply, assets.index);
  });
}
