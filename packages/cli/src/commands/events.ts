/** `herd events`: the event stream, one event per line, until Ctrl-C. */
import type { Command } from 'commander';
import { ConnectionError } from '@herd/api';
import { contextOf } from '../context.js';
import { parseNonNegativeInt } from '../options.js';
import { renderStreamItem } from '../output/format.js';
import { eventLine } from '../views/event.js';

/** Adds `herd events` to `program`. */
export function registerEvents(program: Command): void {
  program
    .command('events')
    .description('stream events (time, type, target, message) until Ctrl-C; -o json gives one JSON object per line')
    .option('--since <seq>', 'first replay the events after this sequence number (0: all)', parseNonNegativeInt)
    .action(async (opts: { since?: number }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        await ctx.client.streamEvents((e) => ctx.print(renderStreamItem(ctx.format, e, () => eventLine(e))), {
          since: opts.since,
          signal: stop.signal,
        });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      if (!stop.signal.aborted) throw new ConnectionError(ctx.client.url, new Error('the daemon closed the event stream'));
    });
}
