/** `herd vm nic ...`: a VM's NICs on herd networks, hot-plugged when it runs. */
import type { Command } from 'commander';
import type { Nic, NicAdd } from '@herd/api';
import { contextOf } from '../context.js';
import { UsageError } from '../errors.js';
import { resultObject, waitOrPrint } from '../operations.js';
import { checkName } from '../options.js';
import { render } from '../output/format.js';
import { nicLine, nicTable } from '../views/nic.js';
import { collectGroup, parseGroupList, parseIp, parseMac } from './network-options.js';

interface AddOptions {
  readonly network: string;
  readonly ip?: string;
  readonly mac?: string;
  readonly secgroup?: string[];
  readonly wait: boolean;
}

const noWaitHelp = "return at once, printing the operation's id";
const nicArgHelp = 'the NIC: its device id, MAC or id, as `herd vm nic list` shows them';

/** Adds `herd vm nic` and its subcommands to the `vm` command. */
export function registerVmNic(vm: Command): void {
  const nic = vm.command('nic').description("list, add and remove a VM's NICs and set their security groups");

  nic
    .command('list')
    .description("list a VM's NICs")
    .argument('<vm>', 'VM name or id')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const nics = await ctx.client.call('listVmNics', { params: { id: checkName(name) } });
      ctx.print(render(ctx.format, nics, () => nicTable(nics, ctx.width)));
    });

  nic
    .command('add')
    .description('add a NIC on a network; hot-plugged when the VM runs, kept across restarts')
    .argument('<vm>', 'VM name or id')
    .requiredOption('--network <network>', 'the network to attach it to')
    .option('--ip <ip>', 'the address to give it (nat and isolated networks; default: the next free one)', parseIp)
    .option('--mac <mac>', 'its MAC address (default: a random one under 52:54:00)', parseMac)
    .option('--secgroup <group>', 'a security group for it (repeatable)', collectGroup)
    .option('--no-wait', noWaitHelp)
    .action(async (name: string, opts: AddOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      const body: NicAdd = {
        network: checkName(opts.network),
        ...(opts.ip !== undefined && { ip: opts.ip }),
        ...(opts.mac !== undefined && { mac: opts.mac }),
        ...(opts.secgroup !== undefined && { securityGroups: opts.secgroup }),
      };
      const op = await ctx.client.call('addVmNic', { params: { id: checkName(name) }, body });
      const done = await waitOrPrint(ctx, op, opts.wait, { label: `adding a NIC on '${opts.network}' to vm '${name}'` });
      if (!done) return;
      const added = resultObject<Nic>(done, 'nic', ['mac', 'device']);
      const how = done.result?.live === true ? ' (hot-plugged)' : '';
      if (added) ctx.print(render(ctx.format, added, () => `${nicLine(added)} added${how}\n`));
      else ctx.print(render(ctx.format, done, () => `NIC on network '${opts.network}' added to vm '${name}'${how}\n`));
    });

  nic
    .command('remove')
    .description('remove a NIC; hot-unplugged when the VM runs (the guest must let it go), and its address is released')
    .argument('<vm>', 'VM name or id')
    .argument('<nic>', nicArgHelp)
    .option('--no-wait', noWaitHelp)
    .action(async (name: string, ref: string, opts: { wait: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const op = await ctx.client.call('removeVmNic', { params: { id: checkName(name), nic: checkNicRef(ref) } });
      const done = await waitOrPrint(ctx, op, opts.wait, { label: `removing NIC ${ref} of vm '${name}'` });
      if (!done) return;
      const how = done.result?.live === true ? ' (hot-unplugged)' : '';
      ctx.print(render(ctx.format, done, () => `NIC ${ref} removed from vm '${name}'${how}\n`));
    });

  nic
    .command('set-groups')
    .description("replace a NIC's security groups, applied at once ('' removes them all)")
    .argument('<vm>', 'VM name or id')
    .argument('<nic>', nicArgHelp)
    .argument('<groups>', "the groups, comma-separated (G1,G2); '' for none", parseGroupList)
    .action(async (name: string, ref: string, groups: string[], _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const updated = await ctx.client.call('updateVmNic', { params: { id: checkName(name), nic: checkNicRef(ref) }, body: { securityGroups: groups } });
      ctx.print(render(ctx.format, updated, () => `${nicLine(updated)}\n`));
    });
}

/** A NIC reference is a device id, a MAC or an id; only its length can be checked here. */
function checkNicRef(ref: string): string {
  const trimmed = ref.trim();
  if (!trimmed || trimmed.length > 100) throw new UsageError(`'${ref}' is not a NIC; give its device id, MAC or id (see \`herd vm nic list VM\`)`);
  return trimmed;
}
