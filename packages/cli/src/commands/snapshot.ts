/**
 * `herd snapshot ...` (also `herd vm snapshot ...`): snapshots of all of a VM's disks at one
 * instant, and of its memory with --with-memory.
 */
import type { Command } from 'commander';
import type { HerdClient, Snapshot, SnapshotCreate } from '@herd/api';
import { contextOf } from '../context.js';
import { resultObject, waitOrPrint } from '../operations.js';
import { checkName } from '../options.js';
import { render } from '../output/format.js';
import { paintState } from '../output/style.js';
import { snapshotTable } from '../views/snapshot.js';

interface CreateOptions {
  readonly withMemory?: boolean;
  readonly description?: string;
  readonly wait: boolean;
}

const noWaitHelp = "return at once, printing the operation's id";
const groupDescription = "take, list, revert to and delete a VM's snapshots";

/** Adds `herd snapshot` and its subcommands to `program`. */
export function registerSnapshot(program: Command): void {
  addSnapshotCommands(program.command('snapshot').description(groupDescription));
}

/** Adds `herd vm snapshot`, the same commands under `herd vm`. */
export function registerVmSnapshot(vm: Command): void {
  addSnapshotCommands(vm.command('snapshot').description(groupDescription));
}

function addSnapshotCommands(group: Command): void {
  group
    .command('create')
    .description('snapshot all disks of a VM at one instant (running, paused or stopped)')
    .argument('<vm>', 'VM name or id')
    .argument('<name>', 'name of the snapshot')
    .option('--with-memory', 'also save RAM and device state, so that a revert resumes the VM where it was (running or paused VMs)')
    .option('--description <text>', 'what the snapshot is for')
    .option('--no-wait', noWaitHelp)
    .action(async (vm: string, name: string, opts: CreateOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      const body: SnapshotCreate = {
        name: checkName(name),
        ...(opts.withMemory && { withMemory: true }),
        ...(opts.description !== undefined && { description: opts.description }),
      };
      const op = await ctx.client.call('createSnapshot', { params: { id: checkName(vm) }, body });
      const done = await waitOrPrint(ctx, op, opts.wait, { label: `snapshotting vm '${vm}' as '${name}'` });
      if (!done) return;
      const taken = resultObject<Snapshot>(done, 'snapshot') ?? (await findSnapshot(ctx.client, vm, name));
      const what = taken.withMemory ? 'disks and memory' : 'disks';
      ctx.print(render(ctx.format, taken, () => `snapshot '${taken.name}' of vm '${taken.vm}' taken (${what})\n`));
    });

  group
    .command('list')
    .description("list a VM's snapshots as a tree; * marks the one the VM runs on top of")
    .argument('<vm>', 'VM name or id')
    .action(async (vm: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const snapshots = await listSnapshots(ctx.client, checkName(vm));
      ctx.print(render(ctx.format, snapshots, () => snapshotTable(snapshots, ctx.color, ctx.width)));
    });

  group
    .command('revert')
    .description('revert a VM to a snapshot; a running VM resumes from the saved memory, or boots afresh from disks-only snapshots')
    .argument('<vm>', 'VM name or id')
    .argument('<name>', 'snapshot name')
    .option('--no-wait', noWaitHelp)
    .action(async (vm: string, name: string, opts: { wait: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const op = await ctx.client.call('revertSnapshot', { params: { id: checkName(vm), snapshot: checkName(name) }, body: {} });
      const done = await waitOrPrint(ctx, op, opts.wait, { label: `reverting vm '${vm}' to snapshot '${name}'` });
      if (!done) return;
      const after = await ctx.client.call('getVm', { params: { id: vm } });
      ctx.print(render(ctx.format, after, () => `vm '${after.name}' reverted to snapshot '${name}'; it is ${paintState(after.state, ctx.color)}\n`));
    });

  group
    .command('delete')
    .description('delete a snapshot; the snapshots taken on top of it keep their own state')
    .argument('<vm>', 'VM name or id')
    .argument('<name>', 'snapshot name')
    .option('--no-wait', noWaitHelp)
    .action(async (vm: string, name: string, opts: { wait: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const op = await ctx.client.call('deleteSnapshot', { params: { id: checkName(vm), snapshot: checkName(name) } });
      const done = await waitOrPrint(ctx, op, opts.wait, { label: `deleting snapshot '${name}' of vm '${vm}'` });
      if (done) ctx.print(render(ctx.format, done, () => `snapshot '${name}' of vm '${vm}' deleted\n`));
    });
}

function listSnapshots(client: HerdClient, vm: string): Promise<Snapshot[]> {
  return client.call('listSnapshots', { params: { id: vm } });
}

/** Reads a snapshot back when the operation's result does not carry it. */
async function findSnapshot(client: HerdClient, vm: string, name: string): Promise<Snapshot> {
  const found = (await listSnapshots(client, vm)).find((s) => s.name === name);
  if (!found) throw new Error(`snapshot '${name}' of vm '${vm}' was reported taken but is not listed`);
  return found;
}
