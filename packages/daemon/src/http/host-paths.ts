/**
 * Paths on the daemon host in request bodies (an image to import, a backup directory, an
 * archive to restore) reach files no project owns: only cluster administrators may give them.
 * Project members import from URLs and restore backups by id.
 */
import { HerdError } from '@herd/api';
import type { FastifyRequest } from 'fastify';
import { requestScope } from './request-scope-of.js';

/** Throws forbidden when `value` (a host path, in body field `field`) is given by someone other than a cluster admin. */
export function checkHostPath(request: FastifyRequest, field: string, value: string | undefined, isPath: (v: string) => boolean = (v) => v.startsWith('/') || v.includes('/')): void {
  if (value === undefined || !isPath(value)) return;
  const principal = requestScope(request)?.principal;
  if (principal?.clusterAdmin) return;
  throw new HerdError('forbidden', {
    who: principal?.userName ?? 'the caller',
    action: `use a path on the daemon host (${field})`,
    reason: 'only cluster administrators may; import from a URL, or restore a backup by its id',
  });
}
