/**
 * Walks audit records in seq order and finds the first one that breaks the chain: edited
 * (its hash does not match its content), preceded by a removed record (a gap in seq, or a
 * prev_hash that is not the previous record's hash), or beyond/behind the chain head. Pure:
 * the audit log feeds it rows and the head file's content.
 */
import type { AuditVerification } from '@herd/api';
import type { AuditLogRow } from '../store/schema.js';
import { auditHash, genesisHash } from './audit-hash.js';
import type { ChainHeadState } from './chain-head.js';

/** The first broken record and why. */
export type Break = NonNullable<AuditVerification['firstBroken']>;

/** Checks one chain. Feed every row in ascending seq with `next`, then call `finish` once. */
export class ChainCheck {
  #expectedSeq = 1;
  #prevHash = genesisHash;
  #records = 0;
  #broken: Break | undefined;
  readonly #head: ChainHeadState;
  readonly #headName: string;

  /** `head` is what the head file held when the walk began (`unkept`: only the chain itself is checked); `headName` names the file in reasons. */
  constructor(head: ChainHeadState, headName: string) {
    this.#head = head;
    this.#headName = headName;
  }

  /** True once a broken record was found; later rows need not be fed. */
  get broken(): boolean {
    return this.#broken !== undefined;
  }

  /** Checks the next row (ascending seq). */
  next(row: AuditLogRow): void {
    if (this.#broken) return;
    this.#records += 1;
    const expected = this.#expectedSeq;
    if (row.seq !== expected) {
      const gap = row.seq - 1 === expected ? `record ${expected} before it was removed` : `records ${expected} to ${row.seq - 1} before it were removed`;
      return this.#break(row.seq, gap);
    }
    if (this.#head.kind === 'ok' && row.seq > this.#head.head.seq)
      return this.#break(row.seq, `it is newer than the chain head (seq ${this.#head.head.seq} in ${this.#headName}): it was added outside herd`);
    if (auditHash(row) !== row.hash) return this.#break(row.seq, 'its content does not match its hash: the record was edited');
    if (row.prev_hash !== this.#prevHash)
      return this.#break(row.seq, expected === 1 ? 'it does not start the chain: records before it were replaced' : `it does not follow record ${expected - 1} (prev_hash differs): a record was removed, replaced or reordered`);
    if (this.#head.kind === 'ok' && row.seq === this.#head.head.seq && row.hash !== this.#head.head.hash)
      return this.#break(row.seq, `its hash differs from the chain head in ${this.#headName}: the log up to it was rewritten`);
    this.#expectedSeq = expected + 1;
    this.#prevHash = row.hash;
  }

  /** The verdict, once every row was fed (or the walk stopped at a break). */
  finish(): AuditVerification {
    if (!this.#broken) {
      const last = this.#expectedSeq - 1;
      const head = this.#head;
      if (head.kind === 'corrupt') this.#break(last + 1, `the chain head ${this.#headName} is unusable (${head.reason}), so removal of the newest records cannot be ruled out`);
      else if (head.kind === 'missing' && last > 0)
        this.#break(last + 1, `the chain head ${this.#headName} is missing, so removal of records after seq ${last} cannot be ruled out`);
      else if (head.kind === 'ok' && head.head.seq > last)
        this.#break(last + 1, `records after seq ${last} were removed: the chain head in ${this.#headName} says the log ends at seq ${head.head.seq}`);
    }
    return { ok: !this.#broken, records: this.#records, firstBroken: this.#broken ?? null };
  }

  #break(seq: number, reason: string): void {
    this.#broken = { seq, reason };
  }
}
