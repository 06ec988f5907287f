import { describe, expect, it } from 'vitest';
import { checkIpv4, checkIpv4Network, formatIpv4, inPrefix, netmask, parseIpv4, parseIpv4Prefixed } from './ipv4.js';

describe('IPv4', () => {
  it('parses and formats dotted quads', () => {
    expect(parseIpv4('10.0.0.1')).toBe(0x0a000001);
    expect(formatIpv4(0xc0a80101)).toBe('192.168.1.1');
    for (const bad of ['10.0.0', '10.0.0.256', '010.0.0.1', '10.0.0.1 ', 'a.b.c.d', '']) expect(parseIpv4(bad), bad).toBeUndefined();
  });

  it('gives netmasks and checks membership', () => {
    expect(netmask(24)).toBe('255.255.255.0');
    expect(netmask(20)).toBe('255.255.240.0');
    expect(netmask(32)).toBe('255.255.255.255');
    const net = parseIpv4Prefixed('10.0.0.1/24')!;
    expect(net).toEqual({ address: 0x0a000001, prefixLength: 24 });
    expect(inPrefix(net, parseIpv4('10.0.0.200')!)).toBe(true);
    expect(inPrefix(net, parseIpv4('10.0.1.1')!)).toBe(false);
    expect(parseIpv4Prefixed('10.0.0.1/33')).toBeUndefined();
  });

  it('checks networks and addresses, saying what is wrong', () => {
    expect(checkIpv4Network('10.0.0.0/24', 'network')).toBe('10.0.0.0/24');
    expect(() => checkIpv4Network('10.0.0.5/24', 'remote')).toThrow("remote '10.0.0.5/24' has host bits set; did you mean 10.0.0.0/24?");
    expect(() => checkIpv4Network('10.0.0.0', 'network')).toThrow(/not an IPv4 network/);
    expect(() => checkIpv4('10.0.0.300', 'gateway')).toThrow(/gateway '10.0.0.300' is not an IPv4 address/);
  });
});
