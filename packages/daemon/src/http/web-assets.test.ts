import { gunzipSync, gzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { loadWebAssets, type WebAsset, type WebAssets } from '../web/locate-web-assets.js';
import { registerWebAssets } from './web-assets.js';

const asset = (text: string, contentType: string, immutable = false, gzip?: Buffer): WebAsset => ({ body: Buffer.from(text), gzip, contentType, immutable });
const index = asset('<!doctype html><div id="app"></div>', 'text/html; charset=utf-8');
const js = 'console.log("herd");'.repeat(100);
const assets: WebAssets = {
  root: '/nowhere',
  index,
  files: new Map([
    ['/index.html', index],
    ['/assets/index-abc.js', asset(js, 'text/javascript; charset=utf-8', true, gzipSync(js))],
  ]),
};

async function app(a: WebAssets | null) {
  const server = Fastify();
  registerWebAssets(server, a);
  return server;
}

describe('the web UI routes', () => {
  it('serve index.html at / and at any app path, revalidated', async () => {
    const s = await app(assets);
    for (const url of ['/', '/vms', '/vms/web1', '/create?x=1']) {
      const r = await s.inject({ url });
      expect(r.statusCode, url).toBe(200);
      expect(r.headers['content-type']).toContain('text/html');
      expect(r.headers['cache-control']).toBe('no-cache');
      expect(r.body).toContain('id="app"');
    }
  });

  it('serve hashed assets gzip-encoded and immutable when the browser takes gzip', async () => {
    const s = await app(assets);
    const r = await s.inject({ url: '/assets/index-abc.js', headers: { 'accept-encoding': 'gzip, br' } });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(r.headers['cache-control']).toContain('immutable');
    expect(gunzipSync(r.rawPayload).toString()).toBe(js);
    const plain = await s.inject({ url: '/assets/index-abc.js' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(js);
  });

  it('answer a missing file with 404, and unknown API paths with the JSON route_not_found', async () => {
    const s = await app(assets);
    expect((await s.inject({ url: '/assets/gone.js' })).statusCode).toBe(404);
    expect((await s.inject({ url: '/favicon.ico' })).statusCode).toBe(404);
    const api = await s.inject({ url: '/api/v1/nothing' });
    expect(api.statusCode).toBe(404);
    expect(api.json()).toMatchObject({ error: { code: 'route_not_found', details: { method: 'GET', url: '/api/v1/nothing' } } });
  });

  it('say how to build the UI when it is not built', async () => {
    const r = await (await app(null)).inject({ url: '/' });
    expect(r.statusCode).toBe(503);
    expect(r.body).toContain('npm run build');
  });

  it('find nothing to serve in a folder without index.html', () => {
    expect(loadWebAssets('/nonexistent-herd-web')).toBeUndefined();
  });
});
