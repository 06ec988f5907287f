import { CommanderError } from 'commander';
import { ConnectionError, HerdError, errorCodes } from '@herd/api';
import { describe, expect, it } from 'vitest';
import { OperationFailedError, UsageError } from './errors.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { sampleOp } from './test-support/fixtures.js';

describe('exitCodeFor', () => {
  it.each([
    ['not_found', ExitCode.notFound],
    ['route_not_found', ExitCode.notFound],
    ['name_taken', ExitCode.conflict],
    ['action_not_allowed', ExitCode.conflict],
    ['image_in_use', ExitCode.conflict],
    ['pool_in_use', ExitCode.conflict],
    ['volume_in_use', ExitCode.conflict],
    ['insufficient_space', ExitCode.conflict],
    ['shrink_refused', ExitCode.validation],
    ['pool_unusable', ExitCode.validation],
    ['backup_invalid', ExitCode.validation],
    ['validation_failed', ExitCode.validation],
    ['bad_request', ExitCode.validation],
    ['image_unusable', ExitCode.validation],
    ['accel_unavailable', ExitCode.validation],
    ['operation_failed', ExitCode.operationFailed],
    ['qemu_failed', ExitCode.operationFailed],
    ['timeout', ExitCode.operationFailed],
    ['internal', ExitCode.internal],
    ['unauthenticated', ExitCode.denied],
    ['forbidden', ExitCode.denied],
    ['ticket_invalid', ExitCode.denied],
    ['ticket_wrong_vm', ExitCode.denied],
    ['quota_exceeded', ExitCode.conflict],
    ['project_not_empty', ExitCode.conflict],
    ['project_required', ExitCode.validation],
    ['audit_unavailable', ExitCode.unreachable],
  ] as const)('maps API error %s to %i', (code, exit) => {
    expect(exitCodeFor(new HerdError(code, {}, 'm'))).toBe(exit);
  });

  it('gives every catalogue code an exit code other than success or usage', () => {
    for (const code of errorCodes) expect([1, 3, 4, 5, 6, 7, 9]).toContain(exitCodeFor(new HerdError(code, {}, 'm')));
  });

  it('maps CLI-side failures', () => {
    expect(exitCodeFor(new UsageError('bad'))).toBe(ExitCode.usage);
    expect(exitCodeFor(new ConnectionError('http://x', new Error('refused')))).toBe(ExitCode.unreachable);
    expect(exitCodeFor(new OperationFailedError(sampleOp({ status: 'failed' }), new HerdError('image_unusable', {}, 'm')))).toBe(
      ExitCode.operationFailed,
    );
    expect(exitCodeFor(new Error('bug'))).toBe(ExitCode.internal);
    expect(exitCodeFor('thrown string')).toBe(ExitCode.internal);
  });

  it('maps commander errors to usage, and help or version to success', () => {
    expect(exitCodeFor(new CommanderError(1, 'commander.unknownOption', 'x'))).toBe(ExitCode.usage);
    expect(exitCodeFor(new CommanderError(0, 'commander.helpDisplayed', 'x'))).toBe(ExitCode.ok);
  });
});
