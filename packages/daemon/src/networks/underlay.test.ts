import { describe, expect, it } from 'vitest';
import { floodTargets, underlayOf } from './underlay.js';

describe('underlay addresses', () => {
  const resolve = async (name: string) => {
    if (name === 'node2.lab') return '10.213.5.12';
    throw new Error(`getaddrinfo ENOTFOUND ${name}`);
  };

  it("is the IP of a host's advertised URL, resolved when it is a name", async () => {
    expect(await underlayOf('https://10.213.5.11:8443', resolve)).toBe('10.213.5.11');
    expect(await underlayOf('https://[fd00::11]:8443', resolve)).toBe('fd00::11');
    expect(await underlayOf('https://node2.lab:8443', resolve)).toBe('10.213.5.12');
    expect(await underlayOf('10.213.5.13:8443', resolve)).toBe('10.213.5.13');
  });

  it('is unknown for a host that advertises nothing or cannot be resolved', async () => {
    expect(await underlayOf(null, resolve)).toBeUndefined();
    expect(await underlayOf('', resolve)).toBeUndefined();
    expect(await underlayOf('https://gone.lab:8443', resolve)).toBeUndefined();
  });

  it('floods to each other host once, never to itself, and only within its address family', () => {
    expect(floodTargets(['10.0.0.2', '10.0.0.3', '10.0.0.2', '10.0.0.1'], '10.0.0.1')).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(floodTargets(['10.0.0.2', 'fd00::2'], '10.0.0.1')).toEqual(['10.0.0.2']);
    expect(floodTargets(['10.0.0.2', 'fd00::2'], undefined)).toEqual(['10.0.0.2', 'fd00::2']);
  });
});
