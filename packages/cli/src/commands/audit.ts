/** `herd audit ...`: who changed what (the daemon's hash-chained audit log), and whether the log is intact. */
import type { Command } from 'commander';
import type { AuditQuery } from '@herd/api';
import { contextOf } from '../context.js';
import { AuditBrokenError, UsageError } from '../errors.js';
import { parsePositiveInt } from '../options.js';
import { render } from '../output/format.js';
import { auditTable } from '../views/audit.js';

const units = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/**
 * A time bound for `--since`/`--until`: `now`, a duration before now (`30m`, `1h`, `7d`) or an
 * RFC 3339 time; answers RFC 3339 in UTC.
 */
export function parseTimeBound(text: string, now: number = Date.now()): string {
  if (text === 'now') return new Date(now).toISOString();
  const d = /^(\d+)([smhd])$/.exec(text);
  if (d) return new Date(now - Number(d[1]) * units[d[2] as keyof typeof units] * 1000).toISOString();
  if (/^\d{4}-\d{2}-\d{2}T/.test(text) && !Number.isNaN(Date.parse(text))) return new Date(text).toISOString();
  throw new UsageError(`'${text}' is not a time: give a duration before now (30m, 1h, 7d) or an RFC 3339 time (2026-01-31T12:00:00Z)`);
}

/**
 * The project to filter by: the global `--project`, which takes `--project` wherever it stands
 * on the command line. Only when given there: HERD_PROJECT says which project to act in, and the
 * audit routes act in none, so it must not silently hide records.
 */
function projectFilter(cmd: Command): string | undefined {
  if (cmd.getOptionValueSourceWithGlobals('project') !== 'cli') return undefined;
  const { project } = cmd.optsWithGlobals<{ project?: string }>();
  return project;
}

/** Adds `herd audit` and its subcommands to `program`. */
export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the audit log of every state-changing request (cluster admins only)');

  audit
    .command('list')
    .description('show audit records, newest first')
    .option('--user <name>', 'only requests by this user (anonymous: unauthenticated ones)')
    .option('--target <name>', 'only requests on this resource, as recorded (e.g. web1, or web1/snap1 for a part of it)')
    .option('--since <time>', 'from: a duration before now (30m, 1h, 7d) or an RFC 3339 time')
    .option('--until <time>', 'to: a duration before now or an RFC 3339 time')
    .option('--limit <n>', 'at most this many (1-10000)', parsePositiveInt, 100)
    .addHelpText('after', "\n--project NAME (herd's global option, given on the command line) shows only requests in that project.")
    .action(async (opts: { user?: string; target?: string; since?: string; until?: string; limit: number }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const project = projectFilter(cmd);
      const query: AuditQuery = {
        limit: Math.min(opts.limit, 10_000),
        ...(opts.user !== undefined && { user: opts.user }),
        ...(project !== undefined && { project }),
        ...(opts.target !== undefined && { target: opts.target }),
        ...(opts.since !== undefined && { since: parseTimeBound(opts.since) }),
        ...(opts.until !== undefined && { until: parseTimeBound(opts.until) }),
      };
      const records = await ctx.client.call('listAudit', { query });
      ctx.print(render(ctx.format, records, () => (records.length ? auditTable(records, ctx.width) : 'no audit records match\n')));
    });

  audit
    .command('verify')
    .description(`check the audit log's hash chain; names the first edited, removed or added record and exits 8 if there is one`)
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const v = await ctx.client.call('verifyAudit');
      if (ctx.format !== 'table') ctx.print(render(ctx.format, v, () => ''));
      if (v.firstBroken) throw new AuditBrokenError(v.firstBroken.seq, v.firstBroken.reason);
      if (ctx.format === 'table') ctx.print(`audit log intact: ${v.records} records\n`);
    });
}
