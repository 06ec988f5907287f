/**
 * Waiting for operations: every command that starts one waits for it by default, showing its
 * progress, or with `--no-wait` prints its id and returns.
 */
import { HerdError, operationError, type Operation } from '@herd/api';
import type { Context } from './context.js';
import { OperationFailedError } from './errors.js';
import { render } from './output/format.js';
import { Progress } from './output/progress.js';

/** How to wait for an operation. */
export interface FollowOptions {
  /** What the spinner says, e.g. "starting vm 'web1'". */
  readonly label: string;
  /** Show a progress bar (for work that reports progress: builds, imports). */
  readonly bar?: boolean;
  /** Give up after this many seconds (the operation goes on); no limit when undefined. */
  readonly timeoutSeconds?: number;
}

const isFinal = (op: Operation) => op.status === 'succeeded' || op.status === 'failed';

/**
 * Polls an operation until it ends and returns it when it succeeded. Throws OperationFailedError
 * when it failed and a `timeout` HerdError when the time limit passes. On Ctrl-C it says how to
 * follow the operation and exits 130.
 */
export async function followOperation(ctx: Context, first: Operation, options: FollowOptions): Promise<Operation> {
  const progress = new Progress(options.label, { bar: options.bar });
  const onInterrupt = () => {
    progress.stop();
    ctx.note(`herd: stopped waiting; operation ${first.id} goes on, follow it with \`herd op wait ${first.id}\``);
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  try {
    const deadline = options.timeoutSeconds === undefined ? Infinity : Date.now() + options.timeoutSeconds * 1000;
    let op = first;
    let delay = 50;
    while (!isFinal(op)) {
      progress.update(op);
      if (Date.now() >= deadline)
        throw new HerdError('timeout', {
          seconds: options.timeoutSeconds,
          what: `operation ${op.id} (${op.kind} ${op.target.name})`,
          id: op.id,
        });
      await sleep(Math.min(delay, deadline - Date.now()));
      delay = Math.min(delay * 2, 500);
      op = await ctx.client.call('getOperation', { params: { id: op.id } });
    }
    if (op.status === 'failed') throw new OperationFailedError(op, operationError(op));
    return op;
  } finally {
    process.off('SIGINT', onInterrupt);
    progress.stop();
  }
}

/**
 * Handles an operation a command has just started: with `wait`, follows it and returns the
 * finished operation; without, prints it (its id alone for `-o table`) and returns undefined.
 */
export async function waitOrPrint(ctx: Context, op: Operation, wait: boolean, options: FollowOptions): Promise<Operation | undefined> {
  if (wait) return followOperation(ctx, op, options);
  ctx.print(render(ctx.format, op, () => `${op.id}\n`));
  return undefined;
}

/**
 * A record from an operation's result (`result.vm`, `result.image`), when the daemon put one
 * there and it has the `fields` that identify it (a backup has no name).
 */
export function resultObject<T extends { readonly id: string }>(op: Operation, key: string, fields: readonly string[] = ['name']): T | undefined {
  const value = op.result?.[key];
  if (value && typeof value === 'object' && 'id' in value && fields.every((f) => f in value)) return value as T;
  return undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
