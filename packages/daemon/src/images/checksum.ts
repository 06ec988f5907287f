/** SHA-256 checksums of imported images: computing them, and refusing bytes that do not match. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { HerdError } from '@herd/api';

/** The SHA-256 of the file at `path`, in lower-case hex. Reads the whole file once. */
export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Throws checksum_mismatch unless `actual` is `expected` (hex, either case). `source` names where
 * the bytes came from, for the message; the caller removes what it kept.
 */
export function ensureSha256(source: string, expected: string, actual: string): void {
  if (actual.toLowerCase() !== expected.toLowerCase())
    throw new HerdError('checksum_mismatch', { source, expected: expected.toLowerCase(), actual: actual.toLowerCase(), field: 'sha256' });
}
