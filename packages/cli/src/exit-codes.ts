/** The exit codes of `herd`, and the one function that maps an error to its code. */
import { CommanderError } from 'commander';
import { ConnectionError, HerdError } from '@herd/api';
import { AuditBrokenError, OperationFailedError, UsageError } from './errors.js';

/** What each exit code of `herd` means; scripts may rely on these. */
export const ExitCode = {
  /** The command did what was asked. */
  ok: 0,
  /** An unexpected or internal error (in the CLI or the daemon). */
  internal: 1,
  /** The command line is wrong: unknown option, missing argument, bad size or name. */
  usage: 2,
  /** The VM, image, host or operation does not exist (HTTP 404). */
  notFound: 3,
  /** The request conflicts with the current state: name taken, action not allowed, in use (HTTP 409), pool full. */
  conflict: 4,
  /** The daemon rejected the request as invalid (HTTP 400 or 422). */
  validation: 5,
  /** The daemon could not be reached, or cannot serve now (HTTP 503: it cannot write its audit log); try again once fixed. */
  unreachable: 6,
  /** An operation failed, or waiting for it timed out. */
  operationFailed: 7,
  /** `herd audit verify` found an edited, removed or added audit record. */
  auditBroken: 8,
  /** No valid API token (HTTP 401), or the caller's roles do not allow the request (HTTP 403). */
  denied: 9,
} as const;

/** One of herd's exit codes. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Error codes that mean "the work itself failed or did not finish", whatever their status. */
const operationCodes: ReadonlySet<string> = new Set(['operation_failed', 'qemu_failed', 'timeout']);

/**
 * Error codes that are conflicts with the current state although their status is not 409: a
 * full pool (507) or a project at its quota (403) is fixed by freeing space, as a taken name is
 * by deleting, not by asking differently or as someone else.
 */
const stateCodes: ReadonlySet<string> = new Set(['insufficient_space', 'quota_exceeded']);

/** Maps anything thrown by a command to the exit code the process ends with. */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  if (error instanceof UsageError) return ExitCode.usage;
  if (error instanceof ConnectionError) return ExitCode.unreachable;
  if (error instanceof OperationFailedError) return ExitCode.operationFailed;
  if (error instanceof AuditBrokenError) return ExitCode.auditBroken;
  if (error instanceof HerdError) {
    if (operationCodes.has(error.code)) return ExitCode.operationFailed;
    if (error.status === 404) return ExitCode.notFound;
    if (error.status === 409 || stateCodes.has(error.code)) return ExitCode.conflict;
    if (error.status === 400 || error.status === 422) return ExitCode.validation;
    if (error.status === 401 || error.status === 403) return ExitCode.denied;
    if (error.status === 503) return ExitCode.unreachable;
  }
  return ExitCode.internal;
}
