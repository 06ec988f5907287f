/** `herd backup ...`: self-contained archives of a VM's disks and spec, and restoring them as new VMs. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Backup, BackupCreate, BackupRestore, HerdClient, Vm } from '@herd/api';
import { contextOf } from '../context.js';
import { resultObject, waitOrPrint } from '../operations.js';
import { checkName } from '../options.js';
import { render } from '../output/format.js';
import { backupDetails, backupTable } from '../views/backup.js';
import { vmDetails } from '../views/vm.js';

interface CreateOptions {
  readonly to?: string;
  readonly incremental?: boolean;
  readonly wait: boolean;
}

interface RestoreOptions {
  readonly name?: string;
  readonly pool?: string;
  readonly start?: boolean;
  readonly wait: boolean;
}

const noWaitHelp = "return at once, printing the operation's id";
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Adds `herd backup` and its subcommands to `program`. */
export function registerBackup(program: Command): void {
  const backup = program.command('backup').description("back VMs up into archives, and restore them as new VMs");

  backup
    .command('create')
    .description('back a VM up, running or stopped, into an archive of its disks and spec')
    .argument('<vm>', 'VM name or id')
    .option('--to <dir>', "directory on the daemon host for the archive (a relative path is resolved here; default: the data directory's backups/)")
    .option('--incremental', 'only what changed since the last backup; a full backup when there is no usable base')
    .option('--no-wait', noWaitHelp)
    .action(async (vm: string, opts: CreateOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      const body: BackupCreate = { ...(opts.to !== undefined && { to: resolve(opts.to) }), ...(opts.incremental && { incremental: true }) };
      const op = await ctx.client.call('createBackup', { params: { id: checkName(vm) }, body });
      const done = await waitOrPrint(ctx, op, opts.wait, { label: `backing up vm '${vm}'`, bar: true });
      if (!done) return;
      const made = resultObject<Backup>(done, 'backup', ['path', 'kind']) ?? (await newestBackup(ctx.client, vm));
      if (opts.incremental && made.kind === 'full') ctx.note('herd: no usable base for an incremental backup; made a full one');
      ctx.print(render(ctx.format, made, () => backupDetails(made)));
    });

  backup
    .command('list')
    .description('list backups, newest first')
    .option('--vm <vm>', 'only backups of this VM')
    .action(async (opts: { vm?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const backups = await ctx.client.call('listBackups', { query: opts.vm === undefined ? {} : { vm: checkName(opts.vm) } });
      ctx.print(render(ctx.format, backups, () => backupTable(backups, ctx.width)));
    });

  backup
    .command('restore')
    .description('restore a backup as a new VM')
    .argument('<archive>', 'a backup id, or an archive path on the daemon host (a relative path is resolved here)')
    .option('--name <name>', 'name of the new VM (default: the name in the archive)')
    .option('--pool <pool>', 'pool for its disks (default: default)')
    .option('--start', 'start the VM once restored')
    .option('--no-wait', noWaitHelp)
    .action(async (archive: string, opts: RestoreOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      const body: BackupRestore = {
        archive: uuidPattern.test(archive) ? archive : resolve(archive),
        ...(opts.name !== undefined && { name: checkName(opts.name) }),
        ...(opts.pool !== undefined && { pool: checkName(opts.pool) }),
        ...(opts.start && { start: true }),
      };
      const op = await ctx.client.call('restoreBackup', { body });
      const done = await waitOrPrint(ctx, op, opts.wait, { label: `restoring ${opts.name ? `vm '${opts.name}' from ` : ''}${archive}`, bar: true });
      if (!done) return;
      const vm = resultObject<Vm>(done, 'vm') ?? (await ctx.client.call('getVm', { params: { id: opts.name ?? done.target.id ?? done.target.name } }));
      ctx.print(render(ctx.format, vm, () => vmDetails(vm, ctx.color)));
    });

  backup
    .command('delete')
    .description('delete a backup archive (refused while incremental backups build on it)')
    .argument('<id>', 'backup id')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const deleted = await ctx.client.call('deleteBackup', { params: { id: checkName(id) } });
      ctx.print(render(ctx.format, deleted, () => `backup ${deleted.id} of vm '${deleted.vm}' deleted (${deleted.path})\n`));
    });
}

/** The backup just made, when the operation's result does not carry it: the API lists newest first. */
async function newestBackup(client: HerdClient, vm: string): Promise<Backup> {
  const [newest] = await client.call('listBackups', { query: { vm } });
  if (!newest) throw new Error(`the backup of vm '${vm}' was reported made but is not listed`);
  return newest;
}
