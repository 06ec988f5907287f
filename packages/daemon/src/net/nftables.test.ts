import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBridge } from './links.js';
import type { NetExec } from './net-exec.js';
import {
  applyTable,
  applyTables,
  deleteTable,
  deleteTablesScript,
  isolatedRuleset,
  isolatedTableName,
  listTables,
  natRuleset,
  natTableName,
  parseTableList,
  replaceTablesScript,
  SECURITY_GROUP_TABLES,
  securityGroupRuleset,
} from './nftables.js';
import { ruleMatch } from './security-group-ruleset.js';
import { netnsUnavailable, TestNamespaces } from './testing/test-netns.js';

const lines = (...l: string[]) => l.map((x) => `${x}\n`).join('');

describe('nft scripts', () => {
  it('replaces a table in one transaction that cannot fail on a missing table', () => {
    expect(replaceTablesScript([{ family: 'inet', name: 'herd-x', body: '\tchain c {\n\t}\n' }])).toBe(
      lines('table inet herd-x', 'delete table inet herd-x', 'table inet herd-x {', '\tchain c {', '\t}', '}'),
    );
    expect(replaceTablesScript([{ family: 'ip', name: 'herd-y', body: '' }])).toBe(lines('table ip herd-y', 'delete table ip herd-y', 'table ip herd-y {', '}'));
    expect(deleteTablesScript([{ family: 'bridge', name: 'herd-z' }])).toBe(lines('table bridge herd-z', 'delete table bridge herd-z'));
  });

  it('refuses table names and families nft would misread', () => {
    expect(() => replaceTablesScript([{ family: 'ip', name: 'herd x', body: '' }])).toThrow(/cannot name an nftables table/);
    expect(() => replaceTablesScript([{ family: 'ip', name: '1herd', body: '' }])).toThrow(RangeError);
    expect(() => deleteTablesScript([{ family: 'ipx' as 'ip', name: 'herd-x' }])).toThrow(/not an nftables family/);
  });

  it('decodes `nft -j list tables`', () => {
    const out =
      '{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"table": {"family": "ip", "name": "herd-nat-hb-1", "handle": 1}}, {"table": {"family": "bridge", "name": "herd-secgroups", "handle": 2}}]}';
    expect(parseTableList(out)).toEqual([
      { family: 'ip', name: 'herd-nat-hb-1' },
      { family: 'bridge', name: 'herd-secgroups' },
    ]);
    expect(() => parseTableList('{"tables": []}')).toThrow(/unexpected/);
  });
});

describe('network rulesets', () => {
  const spec = { bridge: 'hb-1a2b3c4d', cidr: '10.0.0.0/24' };

  it('names one table per network', () => {
    expect(natTableName('hb-1a2b3c4d')).toBe('herd-nat-hb-1a2b3c4d');
    expect(isolatedTableName('hb-1a2b3c4d')).toBe('herd-iso-hb-1a2b3c4d');
  });

  it('masquerades a nat network and lets only replies in', () => {
    expect(natRuleset(spec)).toBe(
      lines(
        '\tchain postrouting {',
        '\t\ttype nat hook postrouting priority srcnat; policy accept;',
        '\t\tip saddr 10.0.0.0/24 ip daddr != 10.0.0.0/24 oifname != "hb-1a2b3c4d" masquerade',
        '\t}',
        '\tchain forward {',
        '\t\ttype filter hook forward priority filter; policy accept;',
        '\t\tiifname "hb-1a2b3c4d" oifname "hb-1a2b3c4d" accept',
        '\t\tiifname "hb-1a2b3c4d" ip saddr 10.0.0.0/24 accept',
        '\t\toifname "hb-1a2b3c4d" ip daddr 10.0.0.0/24 ct state established,related accept',
        '\t\tiifname "hb-1a2b3c4d" drop',
        '\t\toifname "hb-1a2b3c4d" drop',
        '\t}',
      ),
    );
  });

  it('routes nothing from or to an isolated network', () => {
    expect(isolatedRuleset(spec)).toBe(
      lines(
        '\tchain forward {',
        '\t\ttype filter hook forward priority filter; policy accept;',
        '\t\tiifname "hb-1a2b3c4d" oifname "hb-1a2b3c4d" accept',
        '\t\tiifname "hb-1a2b3c4d" drop',
        '\t\toifname "hb-1a2b3c4d" drop',
        '\t}',
      ),
    );
  });

  it('refuses input that would change what the rules mean', () => {
    expect(() => natRuleset({ bridge: 'hb-1"; drop', cidr: '10.0.0.0/24' })).toThrow(RangeError);
    expect(() => natRuleset({ bridge: 'hb-1', cidr: '10.0.0.1/24' })).toThrow(/host bits set/);
    expect(() => isolatedRuleset({ bridge: 'hb-1', cidr: 'any' })).toThrow(/not an IPv4 network/);
  });
});

describe('security group ruleset', () => {
  it('writes each rule as a match', () => {
    expect(ruleMatch({ direction: 'ingress', protocol: 'tcp', portFrom: 22 })).toBe('tcp dport 22');
    expect(ruleMatch({ direction: 'ingress', protocol: 'udp', portFrom: 5000, portTo: 5010 })).toBe('udp dport 5000-5010');
    expect(ruleMatch({ direction: 'ingress', protocol: 'tcp', portFrom: 80, portTo: 80 })).toBe('tcp dport 80');
    expect(ruleMatch({ direction: 'ingress', protocol: 'tcp' })).toBe('meta l4proto tcp');
    expect(ruleMatch({ direction: 'ingress', protocol: 'icmp', remoteCidr: '10.0.0.0/8' })).toBe('ip saddr 10.0.0.0/8 meta l4proto icmp');
    expect(ruleMatch({ direction: 'egress', protocol: 'udp', portFrom: 53, remoteCidr: '10.0.0.0/24' })).toBe('ip daddr 10.0.0.0/24 udp dport 53');
    expect(ruleMatch({ direction: 'egress', protocol: 'any' })).toBe('');
  });

  it('refuses rules that do not make sense', () => {
    expect(() => ruleMatch({ direction: 'ingress', protocol: 'icmp', portFrom: 1 })).toThrow('protocol icmp has no ports; give tcp or udp for a rule with ports');
    expect(() => ruleMatch({ direction: 'ingress', protocol: 'tcp', portTo: 80 })).toThrow('portTo 80 needs a portFrom');
    expect(() => ruleMatch({ direction: 'ingress', protocol: 'tcp', portFrom: 90, portTo: 80 })).toThrow(/ends before it starts/);
    expect(() => ruleMatch({ direction: 'ingress', protocol: 'tcp', portFrom: 70000 })).toThrow(/out of range/);
    expect(() => ruleMatch({ direction: 'ingress', protocol: 'any', remoteCidr: '10.0.0.1/8' })).toThrow(/host bits/);
    expect(() => securityGroupRuleset([{ tap: 'ht-a', bridge: 'hb-1', rules: [] }, { tap: 'ht-a', bridge: 'hb-1', rules: [] }])).toThrow(/listed twice/);
  });

  it('builds empty tables when no NIC has groups', () => {
    expect(securityGroupRuleset([])).toEqual([
      { family: 'bridge', name: 'herd-secgroups', body: '' },
      { family: 'inet', name: 'herd-secgroups', body: '' },
    ]);
    expect(SECURITY_GROUP_TABLES).toEqual(securityGroupRuleset([]).map(({ family, name }) => ({ family, name })));
  });

  it('filters each tap by its rules, with conntrack state from the inet table', () => {
    const [bridge, inet] = securityGroupRuleset([
      { tap: 'ht-b', bridge: 'hb-1', rules: [{ direction: 'ingress', protocol: 'tcp', portFrom: 22 }, { direction: 'egress', protocol: 'udp', portFrom: 53, remoteCidr: '10.0.0.0/24' }] },
      {
        tap: 'ht-a',
        bridge: 'hb-1',
        rules: [
          { direction: 'ingress', protocol: 'any', remoteCidr: '192.168.0.0/16' },
          { direction: 'ingress', protocol: 'icmp' },
          { direction: 'ingress', protocol: 'icmp' },
        ],
      },
    ]);
    expect(bridge!.body).toBe(
      lines(
        '\tchain forward {',
        '\t\ttype filter hook forward priority 0; policy accept;',
        '\t\tiifname vmap { "ht-b" : jump from-ht-b }',
        '\t\toifname vmap { "ht-a" : jump to-ht-a, "ht-b" : jump to-ht-b }',
        '\t}',
        '\tchain input {',
        '\t\ttype filter hook input priority 0; policy accept;',
        '\t\tiifname vmap { "ht-b" : jump from-ht-b }',
        '\t}',
        '\tchain output {',
        '\t\ttype filter hook output priority 0; policy accept;',
        '\t\toifname vmap { "ht-a" : jump to-ht-a, "ht-b" : jump to-ht-b }',
        '\t}',
        '\tchain to-ht-a {',
        '\t\tether type arp return',
        '\t\tudp sport 67 udp dport 68 return',
        '\t\tmeta mark & 0x10000000 == 0x10000000 drop',
        '\t\tmeta mark & 0x08000000 == 0x08000000 return',
        '\t\tip saddr 192.168.0.0/16 return',
        '\t\tmeta l4proto icmp return',
        '\t\tdrop',
        '\t}',
        '\tchain to-ht-b {',
        '\t\tether type arp return',
        '\t\tudp sport 67 udp dport 68 return',
        '\t\tmeta mark & 0x10000000 == 0x10000000 drop',
        '\t\tmeta mark & 0x08000000 == 0x08000000 return',
        '\t\ttcp dport 22 return',
        '\t\tdrop',
        '\t}',
        '\tchain from-ht-b {',
        '\t\tether type arp return',
        '\t\tudp sport 68 udp dport 67 return',
        '\t\tmeta mark & 0x10000000 == 0x10000000 drop',
        '\t\tmeta mark & 0x08000000 == 0x08000000 return',
        '\t\tip daddr 10.0.0.0/24 udp dport 53 return',
        '\t\tdrop',
        '\t}',
      ),
    );
    expect(inet!.body).toBe(
      lines(
        '\tchain prerouting {',
        '\t\ttype filter hook prerouting priority mangle; policy accept;',
        '\t\tiifname { "hb-1" } ct state established,related meta mark set meta mark | 0x08000000',
        '\t\tiifname { "hb-1" } ct state invalid meta mark set meta mark | 0x10000000',
        '\t}',
        '\tchain forward {',
        '\t\ttype filter hook forward priority mangle; policy accept;',
        '\t\toifname { "hb-1" } ct state established,related meta mark set meta mark | 0x08000000',
        '\t\toifname { "hb-1" } ct state invalid meta mark set meta mark | 0x10000000',
        '\t}',
        '\tchain output {',
        '\t\ttype filter hook output priority mangle; policy accept;',
        '\t\toifname { "hb-1" } ct state established,related meta mark set meta mark | 0x08000000',
        '\t\toifname { "hb-1" } ct state invalid meta mark set meta mark | 0x10000000',
        '\t}',
        '\tchain postrouting {',
        '\t\ttype filter hook postrouting priority mangle; policy accept;',
        '\t\toifname != { "hb-1" } meta mark & 0x18000000 != 0 meta mark set meta mark & 0xe7ffffff',
        '\t}',
      ),
    );
  });

  it('lets all traffic in for an unrestricted ingress rule, and does not filter egress without egress rules', () => {
    const [bridge] = securityGroupRuleset([{ tap: 'ht-a', bridge: 'br0', rules: [{ direction: 'ingress', protocol: 'any' }] }]);
    expect(bridge!.body).toContain('\t\tmeta mark & 0x08000000 == 0x08000000 return\n\t\treturn\n\t\tdrop\n');
    expect(bridge!.body).not.toContain('from-ht-a');
    expect(bridge!.body).not.toContain('iifname vmap');
  });
});

describe('nftables in a network namespace', async () => {
  const skip = await netnsUnavailable();
  const spaces = new TestNamespaces();
  let exec: NetExec;
  const table = async (family: string, name: string) => (await exec.run('nft', ['list', 'table', family, name])).stdout;

  beforeAll(async () => {
    if (skip) return;
    exec = spaces.exec(await spaces.add('nft'));
    await ensureBridge(exec, 'hb-1a2b3c4d', { address: '10.30.0.1/24' });
  });
  afterAll(async () => {
    await spaces.removeAll();
    expect(await spaces.remaining()).toEqual([]);
  });

  it.skipIf(skip)('loads every ruleset the builders make, and loading again replaces rather than adds', async () => {
    const spec = { bridge: 'hb-1a2b3c4d', cidr: '10.30.0.0/24' };
    const ports = [
      { tap: 'ht-a', bridge: 'hb-1a2b3c4d', rules: [{ direction: 'ingress', protocol: 'tcp', portFrom: 22, remoteCidr: '10.0.0.0/8' }, { direction: 'egress', protocol: 'icmp' }] },
      { tap: 'ht-b', bridge: 'hb-1a2b3c4d', rules: [] },
    ] as const;
    for (let i = 0; i < 2; i++) {
      await applyTable(exec, 'ip', natTableName(spec.bridge), natRuleset(spec));
      await applyTable(exec, 'inet', isolatedTableName(spec.bridge), isolatedRuleset(spec));
      await applyTables(exec, securityGroupRuleset(ports));
    }
    expect((await table('ip', 'herd-nat-hb-1a2b3c4d')).match(/masquerade/g)).toHaveLength(1);
    expect((await table('inet', 'herd-iso-hb-1a2b3c4d')).match(/drop/g)).toHaveLength(2);
    expect(await table('bridge', 'herd-secgroups')).toContain('chain from-ht-a');
    expect((await listTables(exec, 'herd-')).sort((a, b) => `${a.family}${a.name}`.localeCompare(`${b.family}${b.name}`))).toEqual([
      { family: 'bridge', name: 'herd-secgroups' },
      { family: 'inet', name: 'herd-iso-hb-1a2b3c4d' },
      { family: 'inet', name: 'herd-secgroups' },
      { family: 'ip', name: 'herd-nat-hb-1a2b3c4d' },
    ]);
    expect(await listTables(exec, 'herd-nat-')).toEqual([{ family: 'ip', name: 'herd-nat-hb-1a2b3c4d' }]);
  });

  it.skipIf(skip)('keeps the old tables when nft rejects a new body, even in a transaction with a valid one', async () => {
    const before = await table('ip', 'herd-nat-hb-1a2b3c4d');
    await expect(
      applyTables(exec, [
        { family: 'inet', name: 'herd-iso-hb-1a2b3c4d', body: '' },
        { family: 'ip', name: 'herd-nat-hb-1a2b3c4d', body: '\tchain postrouting {\n\t\tnot a rule\n\t}\n' },
      ]),
    ).rejects.toThrow(/syntax error/);
    expect(await table('ip', 'herd-nat-hb-1a2b3c4d')).toBe(before);
    expect(await table('inet', 'herd-iso-hb-1a2b3c4d')).toContain('drop');
  });

  it.skipIf(skip)('deletes tables, and deleting them again is fine', async () => {
    for (let i = 0; i < 2; i++) {
      await deleteTable(exec, 'ip', 'herd-nat-hb-1a2b3c4d');
      await deleteTable(exec, 'inet', 'herd-iso-hb-1a2b3c4d');
      for (const t of SECURITY_GROUP_TABLES) await deleteTable(exec, t.family, t.name);
    }
    expect(await listTables(exec, '')).toEqual([]);
  });
});
