/**
 * The hash that chains audit records. It covers every column of a record as stored (params
 * as its JSON text, so no re-serialization can change it) and the previous record's hash.
 */
import { createHash } from 'node:crypto';

/** The `prev_hash` of the first record. */
export const genesisHash = '0'.repeat(64);

/** The columns of a record that its hash covers. */
export interface HashedFields {
  readonly seq: number;
  readonly at: string;
  readonly user_name: string;
  readonly project: string | null;
  readonly action: string;
  readonly method: string;
  readonly path: string;
  readonly target: string | null;
  /** The stored JSON text. */
  readonly params: string;
  readonly status: number;
  readonly result: string;
  readonly prev_hash: string;
}

/**
 * sha256 (hex) of the canonical JSON of a record: a fixed-order array, so that field order in
 * objects never matters. Pure; call it to make a record's hash and again to check it.
 */
export function auditHash(f: HashedFields): string {
  const canonical = JSON.stringify([f.seq, f.at, f.user_name, f.project, f.action, f.method, f.path, f.target, f.params, f.status, f.result, f.prev_hash]);
  return createHash('sha256').update(canonical).digest('hex');
}
