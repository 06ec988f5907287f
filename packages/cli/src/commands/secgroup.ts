/**
 * `herd secgroup ...`: security groups, sets of stateful allow rules on NICs. A NIC in a group
 * accepts the inbound traffic its rules allow; outbound is allowed unless egress rules narrow it.
 */
import { Option, type Command } from 'commander';
import type { HerdClient, SecurityGroupRuleAdd } from '@herd/api';
import { contextOf } from '../context.js';
import { UsageError } from '../errors.js';
import { checkName } from '../options.js';
import { render } from '../output/format.js';
import { secgroupDetails, secgroupTable } from '../views/secgroup.js';
import { parsePortRange } from './network-options.js';

interface RuleAddOptions {
  readonly direction: SecurityGroupRuleAdd['direction'];
  readonly protocol: SecurityGroupRuleAdd['protocol'];
  readonly port?: { portFrom: number; portTo: number };
  readonly remote?: string;
}

/** Adds `herd secgroup` and its subcommands to `program`. */
export function registerSecgroup(program: Command): void {
  const secgroup = program.command('secgroup').description('create security groups and their allow rules (attach them with `herd vm nic set-groups`)');

  secgroup
    .command('create')
    .description('create an empty group: NICs in it accept no inbound connection until rules allow some')
    .argument('<name>', 'name of the group')
    .option('--description <text>', 'what the group is for')
    .action(async (name: string, opts: { description?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const body = { name: checkName(name), ...(opts.description !== undefined && { description: opts.description }) };
      const created = await ctx.client.call('createSecurityGroup', { body });
      ctx.print(render(ctx.format, created, () => secgroupDetails(created)));
    });

  secgroup
    .command('list')
    .description('list security groups')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const groups = await ctx.client.call('listSecurityGroups');
      ctx.print(render(ctx.format, groups, () => secgroupTable(groups, ctx.width)));
    });

  secgroup
    .command('show')
    .description('show a security group and its rules')
    .argument('<name>', 'group name or id')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const found = await ctx.client.call('getSecurityGroup', { params: { id: checkName(name) } });
      ctx.print(render(ctx.format, found, () => secgroupDetails(found)));
    });

  secgroup
    .command('delete')
    .description('delete a security group no NIC uses')
    .argument('<name>', 'group name or id')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const deleted = await ctx.client.call('deleteSecurityGroup', { params: { id: checkName(name) } });
      ctx.print(render(ctx.format, deleted, () => `secgroup '${deleted.name}' deleted\n`));
    });

  const rule = secgroup.command('rule').description("add and remove a group's allow rules (applied at once to every NIC in it)");

  rule
    .command('add')
    .description('allow traffic: inbound (ingress) or outbound (egress), by protocol, port and remote network')
    .argument('<group>', 'group name or id')
    .addOption(new Option('--direction <direction>', 'ingress: to the VM; egress: from the VM').choices(['ingress', 'egress']).makeOptionMandatory())
    .addOption(new Option('--protocol <protocol>', 'protocol allowed').choices(['tcp', 'udp', 'icmp', 'any']).makeOptionMandatory())
    .option('--port <port>', 'tcp, udp: a port (80) or a range (8000-8100); default: all', parsePortRange)
    .option('--remote <cidr>', 'only from (ingress) or to (egress) this IPv4 network, e.g. 192.168.1.0/24; default: anywhere')
    .action(async (group: string, opts: RuleAddOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      if (opts.port && opts.protocol !== 'tcp' && opts.protocol !== 'udp')
        throw new UsageError(`--port goes with --protocol tcp or udp; ${opts.protocol} has no ports`);
      const body: SecurityGroupRuleAdd = {
        direction: opts.direction,
        protocol: opts.protocol,
        ...opts.port,
        ...(opts.remote !== undefined && { remoteCidr: opts.remote }),
      };
      const updated = await ctx.client.call('addSecurityGroupRule', { params: { id: checkName(group) }, body });
      ctx.print(render(ctx.format, updated, () => secgroupDetails(updated)));
    });

  rule
    .command('remove')
    .description('remove a rule')
    .argument('<group>', 'group name or id')
    .argument('<rule-id>', 'the rule id, as `herd secgroup show` lists it (a unique prefix will do)')
    .action(async (group: string, ruleId: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const id = await resolveRuleId(ctx.client, checkName(group), ruleId);
      const updated = await ctx.client.call('removeSecurityGroupRule', { params: { id: group, rule: id } });
      ctx.print(render(ctx.format, updated, () => `rule ${id} removed from secgroup '${updated.name}'\n`));
    });
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The full id of the rule `ref` names: itself when it is a whole id, else the one rule whose id
 * starts with it. A prefix that matches none is sent as typed, so the daemon says it is unknown.
 */
async function resolveRuleId(client: HerdClient, group: string, ref: string): Promise<string> {
  if (!ref.trim()) throw new UsageError('give the id of a rule; `herd secgroup show GROUP` lists them');
  if (uuid.test(ref)) return ref;
  const found = await client.call('getSecurityGroup', { params: { id: group } });
  const matches = found.rules.filter((r) => r.id.startsWith(ref.toLowerCase()));
  if (matches.length > 1) throw new UsageError(`'${ref}' is the start of ${matches.length} rule ids of secgroup '${found.name}'; give more of it`);
  return matches[0]?.id ?? ref;
}
