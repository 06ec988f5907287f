/** `herd host ...`: the machines herd runs VMs on, their labels and overcommit ratios. */
import { InvalidArgumentError, type Command } from 'commander';
import { hostNameProblem, type HostUpdate } from '@herd/api';
import { contextOf } from '../context.js';
import { UsageError } from '../errors.js';
import { render } from '../output/format.js';
import { hostDetails, hostTable } from '../views/host.js';
import { addDrainCommands } from './host-drain.js';

/** `local` (the host the daemon runs on) or a host name; throws a UsageError. */
function checkHostName(name: string): string {
  const problem = name === 'local' ? undefined : hostNameProblem(name);
  if (problem) throw new UsageError(problem);
  return name;
}

/** What `herd host label` asks: labels to set and labels to remove. */
export interface LabelChanges {
  readonly set: Readonly<Record<string, string>>;
  readonly remove: readonly string[];
}

/** Parses `k=v` (set) and `k-` (remove) arguments, kubectl style; throws a UsageError. */
export function parseLabelArgs(args: readonly string[]): LabelChanges {
  const set: Record<string, string> = {};
  const remove: string[] = [];
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq > 0) set[arg.slice(0, eq)] = arg.slice(eq + 1);
    else if (arg.endsWith('-') && arg.length > 1 && eq < 0) remove.push(arg.slice(0, -1));
    else throw new UsageError(`'${arg}' is neither KEY=VALUE (set a label) nor KEY- (remove one)`);
  }
  const both = remove.find((k) => k in set);
  if (both !== undefined) throw new UsageError(`label '${both}' is both set and removed; say one`);
  return { set, remove };
}

/** An overcommit option: a ratio from 0.1 to 100, or `default` (the cluster's). */
function parseRatio(text: string): number | 'default' {
  if (text.trim().toLowerCase() === 'default') return 'default';
  const n = Number(text);
  if (!(text.trim() !== '' && n >= 0.1 && n <= 100)) throw new InvalidArgumentError(`expected a ratio from 0.1 to 100, or default; not '${text}'`);
  return n;
}

interface OvercommitOptions {
  readonly cpu?: number | 'default';
  readonly memory?: number | 'default';
  readonly disk?: number | 'default';
}

/** Adds `herd host` and its subcommands to `program`. */
export function registerHost(program: Command): void {
  const host = program.command('host').description('the hosts herd runs VMs on: their state, labels and overcommit ratios');

  host
    .command('list')
    .description('list hosts: status (online, late: lease ran out but not fenced yet, offline), mode, leader (*), VMs, allocation, load, labels')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const hosts = await ctx.client.call('listHosts');
      ctx.print(render(ctx.format, hosts, () => hostTable(hosts, ctx.color, ctx.width)));
    });

  host
    .command('show')
    .description('show a host: its state, allocation against capacity, labels, accelerator and versions')
    .argument('[name]', 'host name (local is the host the daemon runs on)', 'local')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const found = await ctx.client.call('getHost', { params: { id: checkHostName(name) } });
      ctx.print(render(ctx.format, found, () => hostDetails(found, ctx.color)));
    });

  host
    .command('label')
    .description('set (KEY=VALUE, replacing a value it had) or remove (KEY-) labels of a host; VM selectors match them (cluster admins)')
    .argument('<name>', 'host name')
    .argument('<changes...>', 'KEY=VALUE to set, KEY- to remove')
    .action(async (name: string, args: string[], _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const id = checkHostName(name);
      const changes = parseLabelArgs(args);
      const current = await ctx.client.call('getHost', { params: { id } });
      for (const k of changes.remove) if (!(k in current.labels)) ctx.note(`herd: host '${current.name}' has no label '${k}'`);
      const labels = Object.fromEntries(Object.entries({ ...current.labels, ...changes.set }).filter(([k]) => !changes.remove.includes(k)));
      const updated = await ctx.client.call('updateHost', { params: { id: current.name }, body: { labels } });
      ctx.print(render(ctx.format, updated, () => hostDetails(updated, ctx.color)));
    });

  host
    .command('set-overcommit')
    .description('set how many times a host hands out its CPUs, memory or disk; default returns a ratio to the cluster default (cluster admins)')
    .argument('<name>', 'host name')
    .option('--cpu <ratio>', 'vCPUs per CPU thread, e.g. 8; or default', parseRatio)
    .option('--memory <ratio>', 'memory handed out per byte, e.g. 1.5; or default', parseRatio)
    .option('--disk <ratio>', 'disk handed out per byte of pool space; or default', parseRatio)
    .action(async (name: string, opts: OvercommitOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      const id = checkHostName(name);
      const value = (v: number | 'default') => (v === 'default' ? null : v);
      const overcommit: NonNullable<HostUpdate['overcommit']> = {
        ...(opts.cpu !== undefined && { cpu: value(opts.cpu) }),
        ...(opts.memory !== undefined && { memory: value(opts.memory) }),
        ...(opts.disk !== undefined && { disk: value(opts.disk) }),
      };
      if (Object.keys(overcommit).length === 0) throw new UsageError('say what to change: --cpu, --memory or --disk (a ratio, or default)');
      const updated = await ctx.client.call('updateHost', { params: { id }, body: { overcommit } });
      ctx.print(render(ctx.format, updated, () => hostDetails(updated, ctx.color)));
    });

  host
    .command('remove')
    .description('forget a host whose lease has run out and that holds no VMs (cluster admins); it registers again if herd starts there')
    .argument('<name>', 'host name')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const removed = await ctx.client.call('deleteHost', { params: { id: checkHostName(name) } });
      ctx.print(render(ctx.format, removed, () => `host '${removed.name}' removed\n`));
    });

  addDrainCommands(host, checkHostName);
}
