/** `herd whoami`: whom the daemon takes the caller for, how it knows, and their roles. */
import type { Command } from 'commander';
import { contextOf } from '../context.js';
import { render } from '../output/format.js';
import { whoamiDetails } from '../views/user.js';

/** Adds `herd whoami` to `program`. */
export function registerWhoami(program: Command): void {
  program
    .command('whoami')
    .description('show whom the daemon takes you for (by your token, or as root on the local socket) and your roles')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const who = await ctx.client.call('getWhoami');
      ctx.print(render(ctx.format, who, () => whoamiDetails(who)));
    });
}
