/** `herd volume ...`: virtual disks in pools, and attaching them to VMs. */
import { Option, type Command } from 'commander';
import { HerdError, type HerdClient, type Volume, type VolumeCreate } from '@herd/api';
import { contextOf } from '../context.js';
import { UsageError } from '../errors.js';
import { resultObject, waitOrPrint } from '../operations.js';
import { checkName, parseDiskBytes } from '../options.js';
import { render } from '../output/format.js';
import { volumeDetails, volumeTable } from '../views/volume.js';

interface CreateOptions {
  readonly size: number;
  readonly pool?: string;
  readonly format?: VolumeCreate['format'];
  readonly encrypt?: boolean;
}

const noWaitHelp = "return at once, printing the operation's id";
const sizeHelp = 'e.g. 10G or 512M; a bare number means GiB';

/** Adds `herd volume` and its subcommands to `program`. */
export function registerVolume(program: Command): void {
  const volume = program.command('volume').description('create, grow, attach and delete volumes (virtual disks)');

  volume
    .command('create')
    .description('create an empty volume (the pool must have the space)')
    .argument('<name>', 'name of the volume')
    .requiredOption('--size <size>', `virtual size, ${sizeHelp}`, parseDiskBytes)
    .option('--pool <pool>', 'pool to create it in (default: the pool named default)')
    .addOption(new Option('--format <format>', "disk format (default: the pool's first choice, qcow2 in dir pools)").choices(['qcow2', 'raw']))
    .option('--encrypt', 'LUKS encryption at rest (qcow2); herd keeps the key, readable by root only')
    .action(async (name: string, opts: CreateOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      if (opts.encrypt && opts.format === 'raw') throw new UsageError('--encrypt needs the qcow2 format; leave out --format raw');
      const body: VolumeCreate = {
        name: checkName(name),
        sizeBytes: opts.size,
        ...(opts.pool !== undefined && { pool: checkName(opts.pool) }),
        ...(opts.format !== undefined && { format: opts.format }),
        ...(opts.encrypt && { encrypted: true }),
      };
      const created = await ctx.client.call('createVolume', { body });
      ctx.print(render(ctx.format, created, () => volumeDetails(created)));
    });

  volume
    .command('list')
    .description('list volumes')
    .option('--pool <pool>', 'only volumes in this pool')
    .option('--vm <vm>', 'only volumes attached to this VM')
    .action(async (opts: { pool?: string; vm?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const query = {
        ...(opts.pool !== undefined && { pool: checkName(opts.pool) }),
        ...(opts.vm !== undefined && { vm: checkName(opts.vm) }),
      };
      const volumes = await ctx.client.call('listVolumes', { query });
      ctx.print(render(ctx.format, volumes, () => volumeTable(volumes, ctx.width)));
    });

  volume
    .command('show')
    .description('show a volume')
    .argument('<name>', 'volume name or id')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const found = await getVolume(ctx.client, checkName(name));
      ctx.print(render(ctx.format, found, () => volumeDetails(found)));
    });

  volume
    .command('delete')
    .description('delete a volume that no VM uses, and its data')
    .argument('<name>', 'volume name or id')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const deleted = await ctx.client.call('deleteVolume', { params: { id: checkName(name) } });
      ctx.print(render(ctx.format, deleted, () => `volume '${deleted.name}' deleted\n`));
    });

  volume
    .command('resize')
    .description('grow a volume, live when its VM runs (volumes never shrink; the guest grows its filesystem itself)')
    .argument('<name>', 'volume name or id')
    .requiredOption('--size <size>', `the new virtual size, ${sizeHelp}`, parseDiskBytes)
    .action(async (name: string, opts: { size: number }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const resized = await ctx.client.call('resizeVolume', { params: { id: checkName(name) }, body: { sizeBytes: opts.size } });
      ctx.print(render(ctx.format, resized, () => volumeDetails(resized)));
    });

  volume
    .command('attach')
    .description('attach a volume to a VM, hot-plugged when it runs; it stays attached across restarts')
    .argument('<name>', 'volume name or id')
    .argument('<vm>', 'VM name or id')
    .option('--no-wait', noWaitHelp)
    .action(async (name: string, vm: string, opts: { wait: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const op = await ctx.client.call('attachVolume', { params: { id: checkName(name) }, body: { vm: checkName(vm) } });
      const done = await waitOrPrint(ctx, op, opts.wait, { label: `attaching volume '${name}' to vm '${vm}'` });
      if (!done) return;
      const attached = resultObject<Volume>(done, 'volume') ?? (await getVolume(ctx.client, name));
      const how = done.result?.live === true ? ' (hot-plugged)' : '';
      ctx.print(render(ctx.format, attached, () => `volume '${attached.name}' attached to vm '${attached.vm ?? vm}'${how}\n`));
    });

  volume
    .command('detach')
    .description('detach a data volume from its VM, hot-unplugged when it runs (the guest must let it go)')
    .argument('<name>', 'volume name or id')
    .argument('[vm]', 'the VM it is attached to; when given, detach only if that is so')
    .option('--no-wait', noWaitHelp)
    .action(async (name: string, vm: string | undefined, opts: { wait: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const before = await getVolume(ctx.client, checkName(name));
      if (vm !== undefined) await checkAttachedTo(ctx.client, before, checkName(vm));
      const from = before.vm ?? vm;
      const op = await ctx.client.call('detachVolume', { params: { id: before.id }, body: {} });
      const done = await waitOrPrint(ctx, op, opts.wait, { label: `detaching volume '${before.name}'${from ? ` from vm '${from}'` : ''}` });
      if (!done) return;
      const detached = resultObject<Volume>(done, 'volume') ?? (await getVolume(ctx.client, before.id));
      const how = done.result?.live === true ? ' (hot-unplugged)' : '';
      ctx.print(render(ctx.format, detached, () => `volume '${detached.name}' detached${from ? ` from vm '${from}'` : ''}${how}\n`));
    });
}

/**
 * Refuses to go on unless `volume` is attached to `vm` (a name or an id), so that a detach
 * typed against the wrong VM does not pull a disk from another one. A volume attached to
 * nothing is left to the daemon, which says so.
 */
async function checkAttachedTo(client: HerdClient, volume: Volume, vm: string): Promise<void> {
  if (volume.vm === null || volume.vm === vm) return;
  const named = await client.call('getVm', { params: { id: vm } });
  if (named.name === volume.vm) return;
  throw new HerdError('volume_in_use', {
    name: volume.name,
    reason: `attached to VM '${volume.vm}', not '${vm}'`,
    hint: `check which VM you meant (\`herd volume list --vm ${vm}\`)`,
  });
}

function getVolume(client: HerdClient, id: string): Promise<Volume> {
  return client.call('getVolume', { params: { id } });
}
