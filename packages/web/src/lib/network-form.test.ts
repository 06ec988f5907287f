import { describe, expect, it } from 'vitest';
import { describeRule, formatPorts, networkCreateBody, ruleAddBody, type NetworkFormValues } from './network-form.js';

const blank: NetworkFormValues = { name: ' lab ', type: 'nat', cidr: '', dhcpStart: '', dhcpEnd: '', bridge: 'br0', vlan: '', mtu: '' };

describe('the create-network request', () => {
  it('sends only the fields of the type, empty ones left out', () => {
    expect(networkCreateBody(blank)).toEqual({ body: { name: 'lab', type: 'nat' } });
    expect(networkCreateBody({ ...blank, cidr: '10.9.0.0/24', dhcpStart: '10.9.0.10', dhcpEnd: '10.9.0.20', vlan: '7', mtu: '9000' })).toEqual({
      body: { name: 'lab', type: 'nat', cidr: '10.9.0.0/24', dhcpRange: { start: '10.9.0.10', end: '10.9.0.20' }, vlan: 7, mtu: 9000 },
    });
    expect(networkCreateBody({ ...blank, type: 'bridged', cidr: '10.9.0.0/24' })).toEqual({ body: { name: 'lab', type: 'bridged', bridge: 'br0' } });
  });

  it('names the input that cannot be sent as typed', () => {
    expect(networkCreateBody({ ...blank, dhcpStart: '10.9.0.10' })).toMatchObject({ field: 'dhcpEnd' });
    expect(networkCreateBody({ ...blank, vlan: 'ten' })).toMatchObject({ field: 'vlan' });
    expect(networkCreateBody({ ...blank, mtu: '1.5' })).toMatchObject({ field: 'mtu' });
  });
});

describe('the add-rule request', () => {
  it('turns ports into a range and leaves out what is empty', () => {
    expect(ruleAddBody({ direction: 'ingress', protocol: 'tcp', ports: '80', remote: '' })).toEqual({ body: { direction: 'ingress', protocol: 'tcp', portFrom: 80, portTo: 80 } });
    expect(ruleAddBody({ direction: 'egress', protocol: 'udp', ports: '8000 - 8100', remote: '10.0.0.0/8' })).toEqual({
      body: { direction: 'egress', protocol: 'udp', remoteCidr: '10.0.0.0/8', portFrom: 8000, portTo: 8100 },
    });
    expect(ruleAddBody({ direction: 'ingress', protocol: 'icmp', ports: ' ', remote: '' })).toEqual({ body: { direction: 'ingress', protocol: 'icmp' } });
  });

  it('refuses ports where they cannot be', () => {
    expect(ruleAddBody({ direction: 'ingress', protocol: 'icmp', ports: '80', remote: '' })).toMatchObject({ field: 'ports', message: expect.stringMatching(/icmp has no ports/) });
    expect(ruleAddBody({ direction: 'ingress', protocol: 'tcp', ports: '90-80', remote: '' })).toMatchObject({ field: 'ports' });
    expect(ruleAddBody({ direction: 'ingress', protocol: 'tcp', ports: '70000', remote: '' })).toMatchObject({ field: 'ports' });
  });

  it('describes rules for people', () => {
    const rule = { id: 'x', direction: 'ingress', protocol: 'tcp', portFrom: 8000, portTo: 8100, remoteCidr: null } as const;
    expect(formatPorts(rule)).toBe('8000-8100');
    expect(formatPorts({ ...rule, portFrom: null, portTo: null })).toBe('all');
    expect(formatPorts({ protocol: 'icmp', portFrom: null, portTo: null })).toBe('—');
    expect(describeRule(rule)).toBe('ingress tcp 8000-8100 from anywhere');
    expect(describeRule({ ...rule, direction: 'egress', protocol: 'any', portFrom: null, portTo: null, remoteCidr: '10.0.0.0/8' })).toBe('egress any to 10.0.0.0/8');
  });
});
