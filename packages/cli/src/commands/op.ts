/** `herd op ...`: the async operations behind long-running commands. */
import { Option, type Command } from 'commander';
import { operationStatuses, type OperationStatus } from '@herd/api';
import { contextOf } from '../context.js';
import { followOperation } from '../operations.js';
import { checkName, parsePositiveInt } from '../options.js';
import { render } from '../output/format.js';
import { operationDetails, operationTable } from '../views/operation.js';

/** Adds `herd op` and its subcommands to `program`. */
export function registerOp(program: Command): void {
  const op = program.command('op').description('list, show and wait for operations (async jobs)');

  op.command('list')
    .description('list operations, newest first')
    .addOption(new Option('--status <status>', 'only operations with this status').choices(operationStatuses))
    .option('--limit <n>', 'at most this many', parsePositiveInt)
    .action(async (opts: { status?: OperationStatus; limit?: number }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const query = { ...(opts.status && { status: opts.status }), ...(opts.limit !== undefined && { limit: opts.limit }) };
      const ops = await ctx.client.call('listOperations', { query });
      ctx.print(render(ctx.format, ops, () => operationTable(ops, ctx.color, ctx.width)));
    });

  op.command('show')
    .description('show an operation')
    .argument('<id>', 'operation id')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const found = await ctx.client.call('getOperation', { params: { id: checkName(id) } });
      ctx.print(render(ctx.format, found, () => operationDetails(found, ctx.color)));
    });

  op.command('wait')
    .description('wait for an operation to finish; exits 7 if it failed or the timeout passed')
    .argument('<id>', 'operation id')
    .option('--timeout <seconds>', 'give up after this many seconds (the operation goes on)', parsePositiveInt)
    .action(async (id: string, opts: { timeout?: number }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const first = await ctx.client.call('getOperation', { params: { id: checkName(id) } });
      const done = await followOperation(ctx, first, {
        label: `waiting for ${first.kind} ${first.target.name}`,
        bar: first.kind.startsWith('image.') || first.kind.startsWith('backup.'),
        timeoutSeconds: opts.timeout,
      });
      ctx.print(render(ctx.format, done, () => operationDetails(done, ctx.color)));
    });
}
