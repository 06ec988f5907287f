import { describe, expect, it } from 'vitest';
import { isEventOfVm, type HerdEvent } from './event.js';

const vm = '6f1c2a4e-9b1d-4c55-8a3e-2f0d5b7c9e10';
const other = '0b9d1c2e-1111-4c55-8a3e-2f0d5b7c9e10';
const event = (target: HerdEvent['target'], data: Record<string, unknown> = {}): HerdEvent => ({ seq: 1, time: '2026-01-01T00:00:00Z', type: 't', target, message: '', data });

describe('isEventOfVm', () => {
  it("takes the VM's own events and those of operations on it", () => {
    expect(isEventOfVm(event({ type: 'vm', id: vm, name: 'web' }), vm)).toBe(true);
    expect(isEventOfVm(event({ type: 'operation', id: 'op1', name: 'vm.start' }, { operation: { target: { type: 'vm', id: vm, name: 'web' } } }), vm)).toBe(true);
    // An alert on one of its series names the VM by id too.
    expect(isEventOfVm(event({ type: 'other', id: vm, name: vm }), vm)).toBe(true);
  });

  it('leaves out other VMs, their operations, and events without an id', () => {
    expect(isEventOfVm(event({ type: 'vm', id: other, name: 'db' }), vm)).toBe(false);
    expect(isEventOfVm(event({ type: 'operation', id: 'op2', name: 'vm.start' }, { operation: { target: { type: 'vm', id: other, name: 'db' } } }), vm)).toBe(false);
    expect(isEventOfVm(event({ type: 'operation', id: 'op3', name: 'image.build' }), vm)).toBe(false);
    expect(isEventOfVm(event({ type: 'image', id: null, name: 'web' }), vm)).toBe(false);
  });
});
