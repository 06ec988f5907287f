/** `herd vm migrate`: live migration of a running VM to another host of the cluster. */
import type { Command } from 'commander';
import type { Vm, VmMigrate } from '@herd/api';
import { contextOf } from '../context.js';
import { UsageError } from '../errors.js';
import { waitOrPrint } from '../operations.js';
import { checkName } from '../options.js';
import { render } from '../output/format.js';
import { vmDetails } from '../views/vm.js';

interface MigrateOptions {
  readonly to?: string;
  readonly downtimeMs?: string;
  readonly bandwidth?: string;
  readonly postcopy?: boolean;
  readonly autoConverge: boolean;
  readonly wait: boolean;
}

function positiveInt(value: string, option: string, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${option} must be a whole number from 1 to ${max}, not '${value}'`);
  return n;
}

/** Adds `herd vm migrate` to the `vm` group. */
export function addMigrateCommand(vm: Command): void {
  vm.command('migrate')
    .description('live-migrate a VM to another host: memory is copied while it runs, host-local disks are mirrored first, disks on shared pools stay (a stopped VM on shared pools just changes hosts)')
    .argument('<vm>', 'the VM (name or id)')
    .option('--to <host>', 'the destination host (default: the scheduler picks, as for a new VM)')
    .option('--downtime-ms <ms>', 'longest pause the final pass may cause (default 300)')
    .option('--bandwidth <MiB/s>', 'cap on the transfer rate in MiB/s (default: none)')
    .option('--postcopy', 'switch to post-copy after the first pass: the guest runs on the destination while its memory follows (for guests that dirty memory faster than it can be sent)')
    .option('--no-auto-converge', 'do not slow the vCPUs of a guest that does not converge')
    .option('--no-wait', "return at once, printing the operation's id")
    .action(async (ref: string, opts: MigrateOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      const body: VmMigrate = {
        ...(opts.to !== undefined && { to: checkName(opts.to) }),
        ...(opts.downtimeMs !== undefined && { downtimeLimitMs: positiveInt(opts.downtimeMs, '--downtime-ms', 60_000) }),
        ...(opts.bandwidth !== undefined && { maxBandwidthMiBps: positiveInt(opts.bandwidth, '--bandwidth', 1_000_000) }),
        ...(opts.postcopy && { postcopy: true }),
        ...(!opts.autoConverge && { autoConverge: false }),
      };
      const op = await ctx.client.call('migrateVm', { params: { id: checkName(ref) }, body });
      const done = await waitOrPrint(ctx, op, opts.wait, { label: `migrating vm '${ref}'${opts.to ? ` to ${opts.to}` : ''}`, bar: true });
      if (!done) return;
      const r = done.result as { to?: string; downtimeMs?: number; totalMs?: number } | null;
      const moved: Vm = await ctx.client.call('getVm', { params: { id: ref } });
      if (ctx.format === 'table' && r?.to) ctx.note(`moved to ${r.to} in ${r.totalMs ?? '?'} ms${r.downtimeMs !== undefined ? `, paused ${r.downtimeMs} ms` : ''}`);
      ctx.print(render(ctx.format, moved, () => vmDetails(moved, ctx.color)));
    });
}
