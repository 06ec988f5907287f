/**
 * Operations: async jobs with an id, progress, result and error, persisted so that a restarted
 * daemon finds them. Every status change is an event.
 */
import { scopedProjectId } from '../tenancy/request-scope.js';
import { whereVisible } from '../tenancy/visibility.js';
import { randomUUID } from 'node:crypto';
import { HerdError, type Operation, type OperationKind } from '@herd/api';
import type { EventLog } from '../events/event-log.js';
import type { Db } from '../store/open-database.js';
import type { OperationRow } from '../store/schema.js';
import { nowIso } from '../util/time.js';

/** What an operation acts on. */
export interface OperationTarget {
  readonly type: 'vm' | 'image' | 'volume' | 'host';
  readonly id: string | null;
  readonly name: string;
}

type Waiter = (op: Operation) => void;

/** Creates, updates and waits for operations. One per daemon. */
export class OperationStore {
  readonly #db: Db;
  readonly #events: EventLog;
  readonly #waiters = new Map<string, Set<Waiter>>();
  readonly #lastProgressEvent = new Map<string, number>();

  constructor(db: Db, events: EventLog) {
    this.#db = db;
    this.#events = events;
    // An operation may finish on another host of a cluster: its event ends the waits here.
    events.subscribe((e) => {
      if (e.target.type !== 'operation' || !e.target.id || !this.#waiters.has(e.target.id)) return;
      const status = (e.data.operation as { status?: unknown } | undefined)?.status;
      if (status === 'succeeded' || status === 'failed') void this.#wakeIfFinished(e.target.id);
    });
  }

  /** Records a new running operation. */
  async create(kind: OperationKind, target: OperationTarget, params: Record<string, unknown> = {}, message = 'started'): Promise<Operation> {
    const now = nowIso();
    const row: OperationRow = {
      id: randomUUID(),
      kind,
      status: 'running',
      target_type: target.type,
      target_id: target.id,
      target_name: target.name,
      progress: 0,
      message,
      params: JSON.stringify(params),
      result: null,
      error: null,
      created_at: now,
      updated_at: now,
      finished_at: null,
    };
    await this.#db.insertInto('operations').values({ ...row, project_id: scopedProjectId() ?? null }).execute();
    const op = toApiOperation(row);
    await this.#emit(op, 'operation.created');
    return op;
  }

  /** Reports progress (0-100) and what is happening now. Progress events are rate-limited. */
  async progress(id: string, progress: number, message?: string): Promise<void> {
    const patch = { progress: Math.max(0, Math.min(100, progress)), updated_at: nowIso(), ...(message ? { message } : {}) };
    const row = await this.#db
      .updateTable('operations')
      .set(patch)
      .where('id', '=', id)
      .where('status', '=', 'running')
      .returningAll()
      .executeTakeFirst();
    if (!row) return;
    const last = this.#lastProgressEvent.get(id) ?? 0;
    if (Date.now() - last > 250) {
      this.#lastProgressEvent.set(id, Date.now());
      await this.#emit(toApiOperation(row), 'operation.updated');
    }
  }

  /** Marks the operation succeeded with `result`. Does nothing if it already finished. */
  async succeed(id: string, result: Record<string, unknown> = {}, message = 'done'): Promise<void> {
    await this.#finish(id, { status: 'succeeded', progress: 100, message, result: JSON.stringify(result) });
  }

  /** Marks the operation failed with `error`. Does nothing if it already finished. */
  async fail(id: string, error: HerdError): Promise<void> {
    await this.#finish(id, { status: 'failed', message: error.message, error: JSON.stringify(error.toBody().error) });
  }

  /** The operation with this id, or undefined. */
  async get(id: string): Promise<Operation | undefined> {
    const row = await whereVisible(this.#db.selectFrom('operations').selectAll().where('id', '=', id), false, true).executeTakeFirst();
    return row && toApiOperation(row);
  }

  /** Operations still running, with their internal parameters (for recovery after a restart). */
  async listUnfinished(): Promise<OperationRow[]> {
    return this.#db.selectFrom('operations').selectAll().where('status', 'in', ['pending', 'running']).execute();
  }

  /** Operations, newest first. */
  async list(filter: { status?: Operation['status']; limit?: number } = {}): Promise<Operation[]> {
    let q = whereVisible(this.#db.selectFrom('operations').selectAll(), false, true).orderBy('created_at', 'desc').limit(filter.limit ?? 100);
    if (filter.status) q = q.where('status', '=', filter.status);
    return (await q.execute()).map(toApiOperation);
  }

  /**
   * Resolves with the operation once it has finished, or as it is when `timeoutMs` passes.
   * Throws not_found for an unknown id.
   */
  async wait(id: string, timeoutMs: number): Promise<Operation> {
    const current = await this.get(id);
    if (!current) throw new HerdError('not_found', { kind: 'op', name: id });
    if (current.status === 'succeeded' || current.status === 'failed') return current;
    return new Promise((resolve) => {
      const set = this.#waiters.get(id) ?? new Set<Waiter>();
      this.#waiters.set(id, set);
      let settled = false;
      const done = (op: Operation) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.#waiters.delete(id);
        resolve(op);
      };
      const timer = setTimeout(() => {
        void this.get(id).then((op) => done(op ?? current));
      }, timeoutMs);
      set.add(done);
      // It may have finished (here or on another host) between the read above and now.
      void this.#wakeIfFinished(id);
    });
  }

  /** Hands the operation to its waiters if it has finished. Reads the row whatever the request scope. */
  async #wakeIfFinished(id: string): Promise<void> {
    const row = await this.#db.selectFrom('operations').selectAll().where('id', '=', id).executeTakeFirst().catch(() => undefined);
    if (!row || (row.status !== 'succeeded' && row.status !== 'failed')) return;
    const op = toApiOperation(row);
    for (const w of [...(this.#waiters.get(id) ?? [])]) w(op);
  }

  async #finish(id: string, patch: Partial<OperationRow>): Promise<void> {
    const now = nowIso();
    const row = await this.#db
      .updateTable('operations')
      .set({ ...patch, updated_at: now, finished_at: now })
      .where('id', '=', id)
      .where('status', 'in', ['pending', 'running'])
      .returningAll()
      .executeTakeFirst();
    if (!row) return;
    this.#lastProgressEvent.delete(id);
    const op = toApiOperation(row);
    await this.#emit(op, 'operation.updated');
    for (const w of [...(this.#waiters.get(id) ?? [])]) w(op);
  }

  async #emit(op: Operation, type: string): Promise<void> {
    await this.#events.append({
      type,
      target: { type: 'operation', id: op.id, name: op.kind },
      message: `${op.kind} ${op.target.name}: ${op.status}${op.status === 'running' ? ` (${Math.round(op.progress)}%) ${op.message}` : op.status === 'failed' ? `: ${op.error?.message ?? ''}` : ''}`,
      data: { operation: op },
    });
  }
}

/** Converts an operation row to its API form. */
export function toApiOperation(row: OperationRow): Operation {
  return {
    id: row.id,
    kind: row.kind as OperationKind,
    status: row.status,
    target: { type: row.target_type, id: row.target_id, name: row.target_name },
    progress: row.progress,
    message: row.message,
    result: row.result ? (JSON.parse(row.result) as Record<string, unknown>) : null,
    error: row.error ? (JSON.parse(row.error) as Operation['error']) : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}
