/** `herd vm clone`: a new VM (new uuid) with copies of another's disks, linked or full. */
import { Option, type Command } from 'commander';
import type { Vm, VmClone } from '@herd/api';
import { contextOf } from '../context.js';
import { UsageError } from '../errors.js';
import { resultObject, waitOrPrint } from '../operations.js';
import { checkName } from '../options.js';
import { render } from '../output/format.js';
import { vmDetails } from '../views/vm.js';

interface CloneOptions {
  readonly linked?: boolean;
  readonly full?: boolean;
  readonly pool?: string;
  readonly start?: boolean;
  readonly wait: boolean;
}

/** Adds `herd vm clone` to the `vm` group. */
export function addCloneCommand(vm: Command): void {
  vm.command('clone')
    .description('clone a VM: linked (copy-on-write overlays, instant; the default) or full (independent copies)')
    .argument('<source>', 'the VM to clone (name or id)')
    .argument('<name>', 'name of the new VM')
    .addOption(new Option('--linked', 'copy-on-write overlays on the source disks (the default)').conflicts('full'))
    .addOption(new Option('--full', 'independent copies of every disk'))
    .option('--pool <pool>', 'with --full: the pool for the copies (default: each source disk’s pool)')
    .option('--start', 'start the clone once made')
    .option('--no-wait', "return at once, printing the operation's id")
    .action(async (source: string, name: string, opts: CloneOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      // Linked clones are overlays on the source's disks, so they live where those disks are.
      if (opts.pool !== undefined && !opts.full) throw new UsageError('--pool goes with --full: a linked clone stays in its source disks’ pools');
      const body: VmClone = {
        name: checkName(name),
        ...(opts.full && { mode: 'full' }),
        ...(opts.linked && { mode: 'linked' }),
        ...(opts.pool !== undefined && { pool: checkName(opts.pool) }),
        ...(opts.start && { start: true }),
      };
      const op = await ctx.client.call('cloneVm', { params: { id: checkName(source) }, body });
      const done = await waitOrPrint(ctx, op, opts.wait, { label: `cloning vm '${source}' to '${name}'`, bar: opts.full === true });
      if (!done) return;
      const clone = resultObject<Vm>(done, 'vm') ?? (await ctx.client.call('getVm', { params: { id: name } }));
      ctx.print(render(ctx.format, clone, () => vmDetails(clone, ctx.color)));
    });
}
