/**
 * Who is asking and in which project, for the request being served. The HTTP layer sets it
 * once the caller is authenticated and authorized; repositories read it to look up only what
 * the caller's project may see and to stamp new rows with that project. Work that is not a
 * request (reconcilers, samplers, sweeps) runs outside any scope and sees everything.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ProjectRole } from '@herd/api';

/** The id of the `default` project, which exists in every installation. */
export const defaultProjectId = '00000000-0000-4000-8000-000000000001';

/** An authenticated caller. */
export interface Principal {
  /** The user's id; null for root on the local socket. */
  readonly userId: string | null;
  /** The user's name (`root` for root on the local socket). */
  readonly userName: string;
  readonly clusterAdmin: boolean;
  /** How the caller proved who they are; `forward`: another host of the cluster vouched for them. */
  readonly via: 'token' | 'unix-root' | 'ticket' | 'forward';
  /** The caller's roles, by project id. */
  readonly roles: ReadonlyMap<string, ProjectRole>;
}

/** The project a request acts in. */
export interface ScopeProject {
  readonly id: string;
  readonly name: string;
}

/** What a request's scope holds. */
export interface RequestScope {
  readonly principal: Principal;
  /** The project of a project route; undefined on global routes. */
  readonly project?: ScopeProject;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** Runs `fn` (and everything it starts) inside `scope`. */
export function runInScope<T>(scope: RequestScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/** Runs `fn` outside any request scope: for background work a request merely wakes up. */
export function runUnscoped<T>(fn: () => T): T {
  return storage.exit(fn);
}

/** The scope of the request being served, if any. */
export function currentScope(): RequestScope | undefined {
  return storage.getStore();
}

/** The project that lookups are limited to: the request's project, or undefined outside requests and on global routes. */
export function scopedProjectId(): string | undefined {
  return storage.getStore()?.project?.id;
}

/** The project new resources belong to: the request's, else `default`. */
export function owningProjectId(): string {
  return scopedProjectId() ?? defaultProjectId;
}
