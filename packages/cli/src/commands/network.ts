/** `herd network ...`: the networks VM NICs attach to (nat, isolated, an existing bridge, or vxlan across hosts). */
import { Option, type Command } from 'commander';
import { maxVni, networkTypes, type NetworkCreate } from '@herd/api';
import { contextOf } from '../context.js';
import { UsageError } from '../errors.js';
import { checkName } from '../options.js';
import { render } from '../output/format.js';
import { networkDetails, networkTable } from '../views/network.js';
import { intBetween, parseDhcpRange } from './network-options.js';

interface CreateOptions {
  readonly type: NetworkCreate['type'];
  readonly cidr?: string;
  readonly dhcpRange?: { start: string; end: string };
  readonly bridge?: string;
  readonly vlan?: number;
  readonly vni?: number;
  readonly mtu?: number;
}

/** Adds `herd network` and its subcommands to `program`. */
export function registerNetwork(program: Command): void {
  const network = program.command('network').description('create, list and delete the networks VMs are attached to');

  network
    .command('create')
    .description(
      'add a network: nat (a bridge routed out through the host, DHCP and DNS), isolated (no route out), bridged (an existing host bridge) or vxlan (like isolated, spanning every host of the cluster)',
    )
    .argument('<name>', 'name of the network')
    .addOption(new Option('--type <type>', 'kind of network').choices(networkTypes).makeOptionMandatory())
    .option('--cidr <cidr>', 'nat, isolated, vxlan: the IPv4 network, e.g. 10.10.0.0/24 (the gateway is its first address)')
    .option('--dhcp-range <start-end>', 'nat, isolated, vxlan: the addresses herd hands out (default: most of the network)', parseDhcpRange)
    .option('--bridge <bridge>', 'bridged: the existing host bridge (or interface) to attach VMs to')
    .option('--vlan <n>', 'tag the ports of VMs on this network with this VLAN (1-4094)', intBetween(1, 4094))
    .option('--vni <n>', `vxlan: the VXLAN network identifier (1-${maxVni}; default: a free one)`, intBetween(1, maxVni))
    .option('--mtu <n>', 'MTU of the network (576-9000; default 1500, on vxlan 1450)', intBetween(576, 9000))
    .action(async (name: string, opts: CreateOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      const created = await ctx.client.call('createNetwork', { body: networkCreateBody(checkName(name), opts) });
      ctx.print(render(ctx.format, created, () => networkDetails(created, ctx.color)));
    });

  network
    .command('list')
    .description('list networks')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const networks = await ctx.client.call('listNetworks');
      ctx.print(render(ctx.format, networks, () => networkTable(networks, ctx.color, ctx.width)));
    });

  network
    .command('show')
    .description('show a network: its addressing, bridge, VNI and state')
    .argument('<name>', 'network name or id')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const found = await ctx.client.call('getNetwork', { params: { id: checkName(name) } });
      ctx.print(render(ctx.format, found, () => networkDetails(found, ctx.color)));
    });

  network
    .command('delete')
    .description('delete a network no NIC uses; its bridge, rules and DHCP/DNS server go (a bridged network leaves the host bridge alone)')
    .argument('<name>', 'network name or id')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const deleted = await ctx.client.call('deleteNetwork', { params: { id: checkName(name) } });
      ctx.print(render(ctx.format, deleted, () => `network '${deleted.name}' deleted\n`));
    });
}

/**
 * The request for `network create`, after checking the options fit the type (the daemon would
 * name API fields, not options). Whether a nat, isolated or vxlan network needs a cidr is the
 * daemon's to say.
 */
function networkCreateBody(name: string, o: CreateOptions): NetworkCreate {
  if (o.vni !== undefined && o.type !== 'vxlan') throw new UsageError(`--vni is for vxlan networks; a ${o.type} network has no VNI`);
  if (o.vlan !== undefined && o.type === 'vxlan') throw new UsageError('--vlan is not for vxlan networks: a vxlan network is a segment of its own (give --vni to choose its identifier)');
  const common = {
    name,
    type: o.type,
    ...(o.vlan !== undefined && { vlan: o.vlan }),
    ...(o.vni !== undefined && { vni: o.vni }),
    ...(o.mtu !== undefined && { mtu: o.mtu }),
  };
  if (o.type === 'bridged') {
    if (o.cidr !== undefined || o.dhcpRange !== undefined)
      throw new UsageError('--cidr and --dhcp-range are for nat, isolated and vxlan networks; on a bridged network the network behind the bridge hands out addresses');
    if (o.bridge === undefined) throw new UsageError('a bridged network needs --bridge BRIDGE (an existing host bridge)');
    return { ...common, bridge: o.bridge };
  }
  if (o.bridge !== undefined) throw new UsageError(`--bridge is for bridged networks; herd makes the bridge of a ${o.type} network itself`);
  return {
    ...common,
    ...(o.cidr !== undefined && { cidr: o.cidr }),
    ...(o.dhcpRange !== undefined && { dhcpRange: o.dhcpRange }),
  };
}
