/**
 * The chain head: the seq and hash of the newest audit record, kept in a file beside the
 * database. Deleting the newest rows from the database leaves a chain that is consistent in
 * itself; the head, which an edit of the database file does not change, is what shows that
 * records are missing at the end. Only the audit log reads and writes it.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';

/** The newest record of the chain. */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/**
 * What the head file holds: a head, nothing (no file), or something that is not a head;
 * `unkept` where no head file is kept (a cluster's PostgreSQL database, see audit-log.ts).
 */
export type ChainHeadState =
  | { readonly kind: 'ok'; readonly head: ChainHead }
  | { readonly kind: 'missing' }
  | { readonly kind: 'corrupt'; readonly reason: string }
  | { readonly kind: 'unkept' };

/** Reads the head file at `path`. Never throws for a missing or garbled file; says so instead. */
export async function readChainHead(path: string): Promise<ChainHeadState> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'corrupt', reason: `cannot read it: ${(e as Error).message}` };
  }
  try {
    const v = JSON.parse(text) as { seq?: unknown; hash?: unknown };
    if (Number.isSafeInteger(v.seq) && (v.seq as number) > 0 && typeof v.hash === 'string' && /^[0-9a-f]{64}$/.test(v.hash))
      return { kind: 'ok', head: { seq: v.seq as number, hash: v.hash } };
  } catch {
    // garbled: said below
  }
  return { kind: 'corrupt', reason: 'it does not hold {"seq": N, "hash": "<sha256>"}' };
}

/** Replaces the head file at `path` with `head` atomically (write a temporary file, rename it over). */
export async function writeChainHead(path: string, head: ChainHead): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ seq: head.seq, hash: head.hash })}\n`, { mode: 0o600 });
  await rename(tmp, path);
}
