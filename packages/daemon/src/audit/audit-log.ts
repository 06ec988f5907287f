/**
 * The audit log: one record per state-changing API request (who, project, action, target,
 * parameters without secrets, result, time), appended to `audit_log` and chained by sha256
 * hashes, with the newest record's seq and hash mirrored to a head file. herd never updates or
 * deletes a record; `verify` finds the first record that was edited, removed or added behind
 * its back.
 *
 * On a cluster's PostgreSQL database every host appends to the one chain, one append at a time
 * (an advisory lock), and no head file is kept: a host's file cannot follow the appends of the
 * others. There `verify` still checks that the chain is continuous and every hash matches, but
 * cannot tell that the newest records were removed.
 */
import { basename } from 'node:path';
import type { AuditQuery, AuditRecord, AuditVerification } from '@herd/api';
import type { Logger } from 'pino';
import { lockKey } from '../store/db-lock.js';
import { dialectOf } from '../store/dialect.js';
import type { Db } from '../store/open-database.js';
import type { AuditLogRow } from '../store/schema.js';
import { nowIso } from '../util/time.js';
import { auditHash, genesisHash } from './audit-hash.js';
import { ChainCheck } from './chain-check.js';
import { readChainHead, writeChainHead, type ChainHead } from './chain-head.js';
import { redactParams } from './redact.js';

/** What one request leaves in the log. `query` and `body` are redacted here, never stored raw. */
export interface AuditEntry {
  /** Defaults to now. */
  readonly at?: string;
  readonly user: string;
  readonly project: string | null;
  readonly action: string;
  readonly method: string;
  readonly path: string;
  readonly target: string | null;
  readonly query: unknown;
  readonly body: unknown;
  readonly status: number;
}

const defaultLimit = 100;
const verifyBatch = 1000;

/** Appends, lists and verifies audit records. Create once per daemon, on its database and head file (unused on PostgreSQL). */
export class AuditLog {
  readonly #db: Db;
  readonly #headPath: string;
  /** False on PostgreSQL, where other hosts append too (see the module's comment). */
  readonly #keepsHead: boolean;
  readonly #log: Logger | undefined;
  /** Appends and verifies run one at a time, in order: each append chains to the one before, and a verify sees the database and head file agree. */
  #queue: Promise<unknown> = Promise.resolve();
  /** The newest record this process knows of; undefined until the head file was read. */
  #head: ChainHead | null | undefined;
  #failure: string | undefined;

  constructor(db: Db, headPath: string, log?: Logger) {
    this.#db = db;
    this.#headPath = headPath;
    this.#keepsHead = dialectOf(db) === 'sqlite';
    this.#log = log;
  }

  /**
   * Records `entry` as the next record of the chain and moves the head file to it; resolves
   * with the record. Safe to call concurrently: appends are serialized (across the hosts of a
   * cluster too).
   */
  append(entry: AuditEntry): Promise<AuditRecord> {
    return this.#serially(async () => {
      try {
        const record = await this.#append(entry);
        this.#failure = undefined;
        return record;
      } catch (e) {
        this.#failure = e instanceof Error ? e.message : String(e);
        throw e;
      }
    });
  }

  /** Why the last append failed; undefined when it succeeded (or none was tried yet). */
  get failure(): string | undefined {
    return this.#failure;
  }

  /** Records newest first, filtered by user, project, target (exact) and time; at most `limit` (default 100). */
  async list(query: AuditQuery = {}): Promise<AuditRecord[]> {
    let q = this.#db.selectFrom('audit_log').selectAll();
    if (query.user !== undefined) q = q.where('user_name', '=', query.user);
    if (query.project !== undefined) q = q.where('project', '=', query.project);
    if (query.target !== undefined) q = q.where('target', '=', query.target);
    if (query.since !== undefined) q = q.where('at', '>=', new Date(query.since).toISOString());
    if (query.until !== undefined) q = q.where('at', '<=', new Date(query.until).toISOString());
    const rows = await q.orderBy('seq', 'desc').limit(query.limit ?? defaultLimit).execute();
    return rows.map(toRecord);
  }

  /** Walks the whole chain in seq order and names the first broken record, if any. Read-only. */
  verify(): Promise<AuditVerification> {
    return this.#serially(async () => {
      const check = new ChainCheck(this.#keepsHead ? await readChainHead(this.#headPath) : { kind: 'unkept' }, basename(this.#headPath));
      let after = 0;
      while (!check.broken) {
        const rows = await this.#db.selectFrom('audit_log').selectAll().where('seq', '>', after).orderBy('seq').limit(verifyBatch).execute();
        for (const row of rows) check.next(row);
        if (rows.length < verifyBatch) break;
        after = rows[rows.length - 1]!.seq;
      }
      return check.finish();
    });
  }

  #serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #append(entry: AuditEntry): Promise<AuditRecord> {
    const known = this.#keepsHead ? await this.#knownHead() : null;
    const row = await this.#db.transaction().execute(async (trx) => {
      await lockKey(trx, 'audit');
      const last = await trx.selectFrom('audit_log').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
      const prev = this.#keepsHead ? this.#chainFrom(known, last) : (last ?? { seq: 0, hash: genesisHash });
      const fields = {
        seq: Math.max(prev.seq, last?.seq ?? 0) + 1,
        at: entry.at ?? nowIso(),
        user_name: entry.user,
        project: entry.project,
        action: entry.action,
        method: entry.method,
        path: entry.path,
        target: entry.target,
        params: JSON.stringify(redactParams(entry.query, entry.body)),
        status: entry.status,
        result: entry.status < 400 ? ('ok' as const) : ('error' as const),
        prev_hash: prev.hash,
      };
      const full = { ...fields, hash: auditHash(fields) };
      await trx.insertInto('audit_log').values(full).execute();
      return full;
    });
    if (this.#keepsHead) {
      this.#head = { seq: row.seq, hash: row.hash };
      await writeChainHead(this.#headPath, this.#head);
    }
    return toRecord(row);
  }

  /**
   * What the next record chains to. The head this process knows of wins over the database: if
   * the newest rows were removed or rewritten behind herd's back, new records keep pointing at
   * the true head, so the damage stays visible to `verify` instead of being papered over.
   */
  #chainFrom(known: ChainHead | null, last: { seq: number; hash: string } | undefined): ChainHead {
    if (known === null) {
      if (last) this.#log?.error({ path: this.#headPath, newestRow: last }, 'audit log: there are records but no chain head file; chaining from the newest record in the database');
      return last ?? { seq: 0, hash: genesisHash };
    }
    if (!last || last.seq !== known.seq || last.hash !== known.hash)
      this.#log?.error({ head: known, newestRow: last ?? null }, 'audit log: the newest record in the database is not the chain head; it was changed outside herd (run `herd audit verify`)');
    return known;
  }

  async #knownHead(): Promise<ChainHead | null> {
    if (this.#head !== undefined) return this.#head;
    const state = await readChainHead(this.#headPath);
    if (state.kind === 'corrupt') this.#log?.error({ path: this.#headPath, reason: state.reason }, 'audit log: the chain head file is unusable; chaining from the newest record in the database');
    this.#head = state.kind === 'ok' ? state.head : null;
    return this.#head;
  }
}

function toRecord(row: AuditLogRow): AuditRecord {
  let params: unknown;
  try {
    params = JSON.parse(row.params);
  } catch {
    params = row.params;
  }
  return {
    seq: row.seq,
    at: row.at,
    user: row.user_name,
    project: row.project,
    action: row.action,
    method: row.method,
    path: row.path,
    target: row.target,
    params,
    status: row.status,
    result: row.result,
    hash: row.hash,
  };
}
