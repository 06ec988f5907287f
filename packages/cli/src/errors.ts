/** Errors the CLI raises itself, besides the API's own HerdError and ConnectionError. */
import type { HerdError, Operation } from '@herd/api';

/**
 * A mistake on the command line that the CLI catches before calling the daemon (a bad name,
 * a bad size). Throw it from an action; the program prints it and exits with code 2.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * An operation the CLI waited for ended in failure. Its message is the operation's own error
 * message, which already says what went wrong; the program exits with code 7.
 */
export class OperationFailedError extends Error {
  constructor(
    readonly operation: Operation,
    readonly error: HerdError,
  ) {
    super(error.message);
    this.name = 'OperationFailedError';
  }
}

/**
 * `herd audit verify` found a broken record: the audit log was edited, or records were removed
 * or added behind herd's back. The program exits with code 8.
 */
export class AuditBrokenError extends Error {
  constructor(
    readonly seq: number,
    readonly reason: string,
  ) {
    super(`audit log broken at record ${seq}: ${reason}`);
    this.name = 'AuditBrokenError';
  }
}
