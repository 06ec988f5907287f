import { describe, expect, it } from 'vitest';
import { chooseAddress, defaultsOf, formatIp, overlaps, parseCidr, parseIp, rangeProblem } from './ipam.js';

const ip = (s: string) => parseIp(s)!;

describe('ipam', () => {
  it('parses and formats addresses and networks', () => {
    expect(formatIp(ip('10.1.2.3'))).toBe('10.1.2.3');
    expect(parseIp('10.1.2')).toBeUndefined();
    expect(parseIp('10.1.2.256')).toBeUndefined();
    expect(parseIp('10.01.2.3')).toBeUndefined();
    expect(parseCidr('192.168.7.0/24')).toEqual({ base: ip('192.168.7.0'), prefix: 24 });
  });

  it('explains bad CIDRs', () => {
    expect(() => parseCidr('10.0.0.1/24')).toThrow(/host bits set; did you mean 10.0.0.0\/24/);
    expect(() => parseCidr('10.0.0.0/8')).toThrow(/\/8 network is not supported/);
    expect(() => parseCidr('10.0.0.0/33')).toThrow(/not an IPv4 network/);
    expect(() => parseCidr('banana')).toThrow(/not an IPv4 network/);
  });

  it('finds overlapping networks', () => {
    expect(overlaps(parseCidr('10.0.0.0/24'), parseCidr('10.0.0.128/25'))).toBe(true);
    expect(overlaps(parseCidr('10.0.0.0/24'), parseCidr('10.0.1.0/24'))).toBe(false);
    expect(overlaps(parseCidr('10.0.0.0/16'), parseCidr('10.0.200.0/24'))).toBe(true);
  });

  it('gives defaults and checks ranges', () => {
    const s = parseCidr('10.5.0.0/24');
    const d = defaultsOf(s);
    expect([d.gateway, d.start, d.end].map(formatIp)).toEqual(['10.5.0.1', '10.5.0.2', '10.5.0.254']);
    expect(rangeProblem(s, d.gateway, ip('10.5.0.10'), ip('10.5.0.20'))).toBeUndefined();
    expect(rangeProblem(s, d.gateway, ip('10.5.0.0'), ip('10.5.0.20'))).toMatch(/inside the network/);
    expect(rangeProblem(s, d.gateway, ip('10.5.0.30'), ip('10.5.0.20'))).toMatch(/starts after it ends/);
    expect(rangeProblem(s, d.gateway, ip('10.5.0.1'), ip('10.5.0.20'))).toMatch(/gateway 10.5.0.1 lies inside/);
  });

  it('chooses the lowest free address, honours a static one, and says why it cannot', () => {
    const s = parseCidr('10.5.0.0/29');
    const range = { start: ip('10.5.0.2'), end: ip('10.5.0.4') };
    const gw = ip('10.5.0.1');
    expect(chooseAddress(s, gw, range, new Set())).toEqual({ ip: ip('10.5.0.2') });
    expect(chooseAddress(s, gw, range, new Set([ip('10.5.0.2')]))).toEqual({ ip: ip('10.5.0.3') });
    expect(chooseAddress(s, gw, range, new Set([ip('10.5.0.2'), ip('10.5.0.3'), ip('10.5.0.4')]))).toEqual({ problem: 'exhausted' });
    expect(chooseAddress(s, gw, range, new Set(), ip('10.5.0.6'))).toEqual({ ip: ip('10.5.0.6') });
    expect(chooseAddress(s, gw, range, new Set([ip('10.5.0.6')]), ip('10.5.0.6'))).toEqual({ problem: 'taken' });
    expect(chooseAddress(s, gw, range, new Set(), ip('10.5.0.1'))).toEqual({ problem: 'gateway' });
    expect(chooseAddress(s, gw, range, new Set(), ip('10.5.0.7'))).toEqual({ problem: 'not-in-network' });
    expect(chooseAddress(s, gw, range, new Set(), ip('10.6.0.3'))).toEqual({ problem: 'not-in-network' });
  });
});
