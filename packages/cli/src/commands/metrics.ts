/**
 * `herd metrics NAME|host [--metric M] [--since 1h] [--step 1m]`: the points of one series, or
 * without --metric the series that exist for the target.
 */
import type { Command } from 'commander';
import { contextOf } from '../context.js';
import { render } from '../output/format.js';
import { seriesInfoTable, seriesTable } from '../views/metrics.js';

/** Adds `herd metrics` to `program`. */
export function registerMetrics(program: Command): void {
  program
    .command('metrics')
    .description('show a metric of a VM, the host or a pool over time; without --metric, list the metrics there are')
    .argument('<target>', 'a VM name or id (NAME/vcpuN for one vCPU), host, or a pool name')
    .option('--metric <name>', 'e.g. vm_cpu_percent, vm_memory_rss_bytes, host_cpu_percent, pool_used_bytes')
    .option('--since <time>', 'start: a duration before now (1h, 30m, 7d) or an RFC 3339 time', '1h')
    .option('--until <time>', 'end: a duration before now or an RFC 3339 time', 'now')
    .option('--step <duration>', 'average points into buckets of this width (10s, 1m, 1h)')
    .action(async (target: string, opts: { metric?: string; since: string; until: string; step?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      if (!opts.metric) {
        const all = await ctx.client.call('listMetricSeries');
        const mine = all.filter((s) => s.targetName === target || s.target === target || s.targetName.startsWith(`${target}/`) || s.target.startsWith(`${target}/`));
        ctx.print(render(ctx.format, mine, () => (mine.length ? seriesInfoTable(mine, ctx.width) : `no metrics for '${target}' yet\n`)));
        return;
      }
      const relative = (t: string) => (/^\d/.test(t) && !/^\d{4}-/.test(t) ? `-${t}` : t);
      const series = await ctx.client.call('queryMetrics', {
        query: { metric: opts.metric, target, from: relative(opts.since), to: relative(opts.until), ...(opts.step ? { step: opts.step } : {}) },
      });
      ctx.print(render(ctx.format, series, () => seriesTable(series)));
    });
}
