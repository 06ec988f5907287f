import { describe, expect, it } from 'vitest';
import { isLoopbackHost, isWildcardHost, parseListen, tcpUrl } from './listen-address.js';

describe('parseListen', () => {
  it('reads host:port, [v6]:port and unix:PATH', () => {
    expect(parseListen('127.0.0.1:8080')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 8080 });
    expect(parseListen('[::1]:0')).toEqual({ kind: 'tcp', host: '::1', port: 0 });
    expect(parseListen('herd.example:8443')).toEqual({ kind: 'tcp', host: 'herd.example', port: 8443 });
    expect(parseListen('unix:/run/herd.sock')).toEqual({ kind: 'unix', path: '/run/herd.sock' });
  });

  it('refuses what is neither, with an example', () => {
    for (const bad of ['8080', '::1:80', 'host:99999', 'unix:', 'host:'])
      expect(() => parseListen(bad)).toThrow(/for example/);
  });
});

describe('isLoopbackHost', () => {
  it('knows loopback addresses and localhost', () => {
    for (const h of ['127.0.0.1', '127.8.9.10', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost']) expect(isLoopbackHost(h), h).toBe(true);
  });

  it('treats everything else, names included, as reachable from outside', () => {
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'fe80::1', '::ffff:10.0.0.1', 'localhost.example', 'my-host']) expect(isLoopbackHost(h), h).toBe(false);
  });
});

describe('isWildcardHost and tcpUrl', () => {
  it('knows the any-address hosts and brackets IPv6', () => {
    expect([isWildcardHost('0.0.0.0'), isWildcardHost('::'), isWildcardHost('0:0::0'), isWildcardHost('10.0.0.1')]).toEqual([true, true, true, false]);
    expect(tcpUrl('https', '::', 8443)).toBe('https://[::]:8443');
    expect(tcpUrl('http', '127.0.0.1', 80)).toBe('http://127.0.0.1:80');
  });
});
