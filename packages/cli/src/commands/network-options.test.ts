import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { intBetween, parseDhcpRange, parseGroupList, parseNicSpec, parsePortRange } from './network-options.js';

describe('network option parsers', () => {
  it('reads a --network value with its per-NIC settings', () => {
    expect(parseNicSpec('default')).toEqual({ network: 'default' });
    expect(parseNicSpec('lan, ip=10.0.0.5 ,mac=52:54:00:AA:BB:CC,secgroup=web,secgroup=ssh')).toEqual({
      network: 'lan',
      ip: '10.0.0.5',
      mac: '52:54:00:aa:bb:cc',
      securityGroups: ['web', 'ssh'],
    });
    expect(() => parseNicSpec('lan,ip')).toThrow(/ip= is not an IPv4 address/);
    expect(() => parseNicSpec('lan,secgroup=')).toThrow(/security group: a name cannot be empty/);
    expect(() => parseNicSpec('Lan')).toThrow(InvalidArgumentError);
  });

  it('reads ports, ranges and group lists', () => {
    expect(parsePortRange('80')).toEqual({ portFrom: 80, portTo: 80 });
    expect(parsePortRange('8000-8100')).toEqual({ portFrom: 8000, portTo: 8100 });
    expect(() => parsePortRange('0')).toThrow(/not a port/);
    expect(() => parsePortRange('80-')).toThrow(/not a port/);
    expect(parseDhcpRange('10.0.0.10-10.0.0.20')).toEqual({ start: '10.0.0.10', end: '10.0.0.20' });
    expect(() => parseDhcpRange('10.0.0.10-10.0.0.20-10.0.0.30')).toThrow(/not a range/);
    expect(parseGroupList('')).toEqual([]);
    expect(parseGroupList('web, ssh,')).toEqual(['web', 'ssh']);
    expect(intBetween(576, 9000)('1500')).toBe(1500);
    expect(() => intBetween(576, 9000)('100')).toThrow(/from 576 to 9000/);
  });
});
