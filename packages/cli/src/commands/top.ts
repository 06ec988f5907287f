/**
 * `herd top`: a live table of VMs and the host, like top, refreshed from `GET /metrics/latest`
 * every 2 s until q or Ctrl-C. `--once` prints one table (or, with -o json, the object) and exits.
 */
import { Option, type Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { MetricsLatest } from '@herd/api';
import { contextOf, type Context } from '../context.js';
import { render, renderStreamItem } from '../output/format.js';
import { topHeader, topTable } from '../views/metrics.js';

/** Adds `herd top` to `program`. */
export function registerTop(program: Command): void {
  program
    .command('top')
    .description('live table of VMs (CPU%, per-vCPU CPU%, memory, disk read/write rates) and the host; q or Ctrl-C quits')
    .option('--once', 'print one table and exit (for scripts; with -o json, the latest values as JSON)')
    .addOption(new Option('--interval <seconds>', 'seconds between refreshes').default(2).argParser(parseSeconds))
    .action(async (opts: { once?: boolean; interval: number }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const view = (m: MetricsLatest) => topHeader(m) + topTable(m, ctx.width);
      if (opts.once) {
        const m = await ctx.client.call('getMetricsLatest');
        ctx.print(render(ctx.format, m, () => view(m)));
        return;
      }
      await live(ctx, opts.interval * 1000, view);
    });
}

/** Refreshes until q, Ctrl-C or SIGTERM; on a terminal each refresh replaces the last. */
async function live(ctx: Context, intervalMs: number, view: (m: MetricsLatest) => string): Promise<void> {
  const tty = process.stdout.isTTY && ctx.format === 'table';
  const stdin = process.stdin;
  let quit!: () => void;
  const quitted = new Promise<void>((r) => (quit = r));
  const onKey = (b: Buffer) => {
    const k = b.toString();
    if (k === 'q' || k === 'Q' || k === '\u0003' || k === '\u0004') quit();
  };
  process.once('SIGINT', quit);
  process.once('SIGTERM', quit);
  if (stdin.isTTY) {
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onKey);
  }
  if (tty) ctx.print('\u001b[?25l'); // hide the cursor
  try {
    let done = false;
    void quitted.then(() => (done = true));
    while (!done) {
      const m = await ctx.client.call('getMetricsLatest');
      if (done) break;
      if (tty) ctx.print(`\u001b[H\u001b[2J${view(m)}\nq quits\n`);
      else ctx.print(renderStreamItem(ctx.format, m, () => `${view(m)}\n`));
      await Promise.race([quitted, new Promise((r) => setTimeout(r, intervalMs))]);
    }
  } finally {
    if (tty) ctx.print('\u001b[?25h');
    process.off('SIGINT', quit);
    process.off('SIGTERM', quit);
    if (stdin.isTTY) {
      stdin.off('data', onKey);
      stdin.setRawMode(false);
      stdin.pause();
    }
  }
}

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!(n >= 0.5 && n <= 3600)) throw new InvalidArgumentError('expected seconds from 0.5 to 3600');
  return n;
}
