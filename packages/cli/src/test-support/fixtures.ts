/** Sample API objects for CLI tests, shaped as the daemon returns them. */
import type { Image, Operation, Vm } from '@herd/api';

const t0 = '2025-01-01T00:00:00.000Z';

/** A running VM named `name`. */
export function sampleVm(name = 'web1', overrides: Partial<Vm> = {}): Vm {
  return {
    id: '0b6f6a0e-6c56-4f4b-9f7e-0c1f3c2b0a01',
    name,
    state: 'running',
    desiredState: 'running',
    accel: 'tcg',
    pid: 4242,
    host: 'local',
    spec: { cpus: 1, memoryMiB: 256, diskBytes: 1024 ** 3, image: 'tiny', kernelCmdline: null, accel: 'auto', restartPolicy: 'no', restartLimit: { maxRestarts: 5, windowSeconds: 600 }, healthCheck: null, watchdog: 'off', portForwards: [] },
    status: { reason: null, lastError: null, startedAt: t0, stateChangedAt: t0, health: 'none', restarts: { recent: 0, nextAt: null } },
    createdAt: t0,
    updatedAt: t0,
    ...overrides,
  };
}

/** An operation on `vm/web1`. */
export function sampleOp(overrides: Partial<Operation> = {}): Operation {
  return {
    id: '7d1e2c4a-1b2c-4d3e-8f90-a1b2c3d4e5f6',
    kind: 'vm.start',
    status: 'pending',
    target: { type: 'vm', id: null, name: 'web1' },
    progress: 0,
    message: 'queued',
    result: null,
    error: null,
    createdAt: t0,
    updatedAt: t0,
    finishedAt: null,
    ...overrides,
  };
}

/** The `tiny` image. */
export function sampleImage(overrides: Partial<Image> = {}): Image {
  return {
    id: '3c9a1f55-2d6e-4b7a-9c1d-5e6f7a8b9c0d',
    name: 'tiny',
    kind: 'kernel',
    format: 'qcow2',
    virtualSize: 64 * 1024 ** 2,
    actualSize: 12 * 1024 ** 2,
    source: 'recipe:tiny',
    kernelCmdline: 'console=ttyS0',
    minMemoryMiB: 96,
    usedBy: [],
    createdAt: t0,
    ...overrides,
  };
}
