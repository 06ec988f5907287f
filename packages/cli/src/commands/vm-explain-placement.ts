/** `herd vm explain-placement VM`: where the scheduler would put a VM now, and why. */
import type { Command } from 'commander';
import { contextOf } from '../context.js';
import { checkName } from '../options.js';
import { render } from '../output/format.js';
import { placementTable } from '../views/placement.js';

/** Adds `herd vm explain-placement` to `vm`. */
export function registerExplainPlacement(vm: Command): void {
  vm.command('explain-placement')
    .description("show where the scheduler would put a VM if it were placed now, and why: each host's score, or what rules it out (the VM's own share of its host left out)")
    .argument('<name>', 'VM name or id')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const explanation = await ctx.client.call('explainPlacement', { params: { id: checkName(name) } });
      ctx.print(render(ctx.format, explanation, () => placementTable(explanation, ctx.color, ctx.width)));
    });
}
