/** `herd host maintenance|evacuate` and `herd cluster rebalance`: emptying hosts and evening out loads by live migration. */
import type { Command } from 'commander';
import type { RebalancePlan } from '@herd/api';
import { contextOf, type Context } from '../context.js';
import { waitOrPrint } from '../operations.js';
import { render } from '../output/format.js';
import { renderTable } from '../output/table.js';
import { hostDetails } from '../views/host.js';

/** Prints what a finished drain moved, and what stayed. */
function moved(ctx: Context, result: unknown): void {
  const list = (result as { moved?: { vm: string; to?: string; error?: string }[] } | null)?.moved ?? [];
  for (const m of list) ctx.note(m.to ? `${m.vm} → ${m.to}` : `${m.vm} stays: ${m.error ?? 'not moved'}`);
}

/** Adds `herd host maintenance` and `herd host evacuate` to the `host` group. */
export function addDrainCommands(host: Command, checkHostName: (name: string) => string): void {
  host
    .command('maintenance')
    .description('put a host into maintenance: it takes no new VMs and its VMs live-migrate to other hosts; --off takes it back (cancelling a drain: the VM being moved stays)')
    .argument('<name>', 'host name')
    .option('--off', 'end maintenance')
    .option('--no-wait', "return at once, printing the drain operation's id")
    .action(async (name: string, opts: { off?: boolean; wait: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const id = checkHostName(name);
      if (opts.off) {
        const h = await ctx.client.call('endHostMaintenance', { params: { id }, body: {} });
        ctx.print(render(ctx.format, h, () => hostDetails(h, ctx.color)));
        return;
      }
      const op = await ctx.client.call('startHostMaintenance', { params: { id }, body: {} });
      const done = await waitOrPrint(ctx, op, opts.wait, { label: `draining host '${name}'`, bar: true });
      if (!done) return;
      moved(ctx, done.result);
      const h = await ctx.client.call('getHost', { params: { id } });
      ctx.print(render(ctx.format, h, () => hostDetails(h, ctx.color)));
    });

  host
    .command('evacuate')
    .description('live-migrate every VM off a host, leaving its mode as it is')
    .argument('<name>', 'host name')
    .option('--no-wait', "return at once, printing the operation's id")
    .action(async (name: string, opts: { wait: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const op = await ctx.client.call('evacuateHost', { params: { id: checkHostName(name) }, body: {} });
      const done = await waitOrPrint(ctx, op, opts.wait, { label: `evacuating host '${name}'`, bar: true });
      if (!done) return;
      moved(ctx, done.result);
      ctx.print(render(ctx.format, done, () => `host '${name}' evacuated\n`));
    });
}

function planText(plan: RebalancePlan, width: number | undefined): string {
  const head = `imbalance ${plan.imbalance.toFixed(2)} (threshold ${plan.threshold}, automation ${plan.automation})`;
  if (plan.moves.length === 0) return `${head}: nothing to move\n`;
  const rows = plan.moves.map((m) => [m.vm, m.from, m.to, m.imbalanceAfter.toFixed(2)]);
  const columns = [{ header: 'VM', shrink: true }, { header: 'FROM' }, { header: 'TO' }, { header: 'IMBALANCE AFTER', align: 'right' as const }];
  return `${head}; ${plan.moves.length} moves would leave ${plan.imbalanceAfter.toFixed(2)}:\n${renderTable(columns, rows, width !== undefined ? { maxWidth: width } : {})}`;
}

/** `herd cluster ...`: cluster-wide views and actions. */
export function registerCluster(program: Command): void {
  const cluster = program.command('cluster').description('the cluster as a whole');
  cluster
    .command('rebalance')
    .description("show the live migrations that would even out host loads now; --apply runs them one by one")
    .option('--apply', 'migrate the VMs the plan names')
    .action(async (opts: { apply?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const plan = await ctx.client.call('getRebalancePlan');
      ctx.print(render(ctx.format, plan, () => planText(plan, ctx.width)));
      if (!opts.apply) return;
      for (const m of plan.moves) {
        const op = await ctx.client.call('migrateVm', { params: { id: m.vmId }, body: { to: m.to } });
        await waitOrPrint(ctx, op, true, { label: `moving ${m.vm} from ${m.from} to ${m.to}`, bar: true });
      }
    });
}
