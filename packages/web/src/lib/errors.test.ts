import { ConnectionError, HerdError } from '@herd/api';
import { describe, expect, it } from 'vitest';
import { errorField, errorMessage } from './errors.js';

describe('API errors in the UI', () => {
  it('names the field of a validation error, without body prefixes', () => {
    expect(errorField(new HerdError('name_taken', { kind: 'VM', name: 'a', field: 'name' }))).toBe('name');
    expect(errorField(new HerdError('validation_failed', { field: '/memoryMiB', reason: 'x' }))).toBe('memoryMiB');
    expect(errorField(new HerdError('validation_failed', { field: 'body.cpus', reason: 'x' }))).toBe('cpus');
    expect(errorField(new HerdError('internal', {}))).toBeUndefined();
    expect(errorField(new Error('plain'))).toBeUndefined();
  });

  it("shows the catalogue's message as the API sent it", () => {
    const e = new HerdError('name_taken', { kind: 'VM', name: 'web1', field: 'name' });
    expect(errorMessage(e)).toBe("a VM named 'web1' already exists; choose another name or delete the existing one");
    expect(errorMessage(new ConnectionError('http://x', new Error('refused')))).toMatch(/cannot reach the herd daemon/);
    expect(errorMessage('odd')).toBe('odd');
  });
});
