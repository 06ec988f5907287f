import { describe, expect, it } from 'vitest';
import type { VmRow } from '../store/schema.js';
import { checkVmGoal } from './vm-op-goals.js';

const base: VmRow = {
  id: 'id',
  name: 'v',
  host: 'h',
  cpus: 1,
  memory_mib: 128,
  disk_bytes: 1,
  image_id: 'img',
  kernel_cmdline: null,
  accel_pref: 'auto',
  desired_state: 'running',
  deleting: 0,
  stop_timeout_s: 60,
  restart_generation: 0,
  boot_generation: 0,
  state: 'starting',
  accel: null,
  pid: null,
  reason: null,
  last_error: null,
  started_at: null,
  stop_deadline: null,
  state_changed_at: '',
  created_at: '',
  updated_at: '',
};
const vm = (patch: Partial<VmRow>): VmRow => ({ ...base, ...patch });

describe('VM operation goals', () => {
  it('a start is done when running, fails with the QEMU error, and is superseded by a stop', () => {
    expect(checkVmGoal('vm.start', {}, vm({ state: 'starting' }), 'v').kind).toBe('pending');
    expect(checkVmGoal('vm.start', {}, vm({ state: 'running' }), 'v').kind).toBe('done');
    const failed = checkVmGoal('vm.start', {}, vm({ state: 'error', last_error: 'no disk' }), 'v');
    expect(failed.kind === 'failed' && failed.error.code).toBe('qemu_failed');
    expect(failed.kind === 'failed' && failed.error.message).toContain('no disk');
    expect(checkVmGoal('vm.start', {}, vm({ state: 'stopping', desired_state: 'stopped' }), 'v').kind).toBe('failed');
  });

  it('a restart waits for the new boot generation', () => {
    expect(checkVmGoal('vm.restart', { generation: 2 }, vm({ state: 'running', boot_generation: 1 }), 'v').kind).toBe('pending');
    expect(checkVmGoal('vm.restart', { generation: 2 }, vm({ state: 'running', boot_generation: 2 }), 'v').kind).toBe('done');
  });

  it('a stop is done when stopped, a delete when the VM is gone', () => {
    expect(checkVmGoal('vm.stop', {}, vm({ state: 'stopping', desired_state: 'stopped' }), 'v').kind).toBe('pending');
    expect(checkVmGoal('vm.stop', {}, vm({ state: 'stopped', desired_state: 'stopped' }), 'v').kind).toBe('done');
    expect(checkVmGoal('vm.delete', {}, vm({ deleting: 1 }), 'v').kind).toBe('pending');
    expect(checkVmGoal('vm.delete', {}, undefined, 'v').kind).toBe('done');
  });

  it('any other operation on a VM being deleted is cancelled', () => {
    const c = checkVmGoal('vm.pause', {}, vm({ deleting: 1 }), 'v');
    expect(c.kind === 'failed' && c.error.code).toBe('operation_cancelled');
  });
});
