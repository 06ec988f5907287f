/** `herd host ...`: the machines herd runs VMs on. */
import type { Command } from 'commander';
import { contextOf } from '../context.js';
import { checkName } from '../options.js';
import { render } from '../output/format.js';
import { hostDetails, hostTable } from '../views/host.js';

/** Adds `herd host` and its subcommands to `program`. */
export function registerHost(program: Command): void {
  const host = program.command('host').description('show the hosts herd runs VMs on');

  host
    .command('show')
    .description('show a host: its CPUs, memory, accelerator and versions')
    .argument('[name]', 'host name (local is the host the daemon runs on)', 'local')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const found = await ctx.client.call('getHost', { params: { id: checkName(name) } });
      ctx.print(render(ctx.format, found, () => hostDetails(found)));
    });

  host
    .command('list')
    .description('list hosts')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const hosts = await ctx.client.call('listHosts');
      ctx.print(render(ctx.format, hosts, () => hostTable(hosts, ctx.width)));
    });
}
