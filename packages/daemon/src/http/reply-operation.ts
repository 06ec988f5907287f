/** Answers a route that started an operation: 202 at once, or with ?wait=true once it finished. */
import { HerdError, operationError, type Operation } from '@herd/api';
import type { FastifyReply } from 'fastify';
import type { OperationStore } from '../operations/operation-store.js';

/** Query of routes that start operations. */
export interface WaitOptions {
  readonly wait?: boolean;
  readonly timeoutSeconds?: number;
}

/**
 * Sends `op` (202), or waits for it and sends it finished (200). A failed operation answers
 * with its error and status; one still running at the timeout answers 504 with its id.
 */
export async function replyOperation(reply: FastifyReply, ops: OperationStore, op: Operation, query: WaitOptions | undefined): Promise<Operation> {
  if (!query?.wait) {
    reply.code(op.status === 'running' || op.status === 'pending' ? 202 : 200);
    return op;
  }
  const seconds = query.timeoutSeconds ?? 300;
  const finished = await ops.wait(op.id, seconds * 1000);
  if (finished.status === 'failed') throw operationError(finished);
  if (finished.status !== 'succeeded') throw new HerdError('timeout', { seconds, what: `${op.kind} of ${op.target.name}`, id: op.id });
  reply.code(200);
  return finished;
}
