import type { Whoami } from '@herd/api';
import { describe, expect, it } from 'vitest';
import { describeRole, mayCall, pickProject, roleIn } from './access.js';

const user = (roles: Whoami['roles'], clusterAdmin = false): Whoami => ({ user: 'ann', clusterAdmin, via: 'token', roles });

describe('what the UI lets a user do', () => {
  const viewer = user([
    { project: 'default', role: 'viewer' },
    { project: 'lab', role: 'operator' },
  ]);

  it('follows the route table: a viewer reads, an operator also starts, an admin also creates', () => {
    expect(mayCall(viewer, 'default', 'listVms')).toBe(true);
    expect(mayCall(viewer, 'default', 'startVm')).toBe(false);
    expect(mayCall(viewer, 'default', 'createConsoleTicket')).toBe(false);
    expect(mayCall(viewer, 'lab', 'startVm')).toBe(true);
    expect(mayCall(viewer, 'lab', 'createConsoleTicket')).toBe(true);
    expect(mayCall(viewer, 'lab', 'deleteVm')).toBe(false);
    expect(mayCall(viewer, 'lab', 'createVm')).toBe(false);
    expect(mayCall(user([{ project: 'lab', role: 'admin' }]), 'lab', 'createVm')).toBe(true);
  });

  it('gives nothing in a project without a role, nor cluster routes; cluster admins may do all', () => {
    expect(mayCall(viewer, 'other', 'listVms')).toBe(false);
    expect(mayCall(viewer, undefined, 'listVms')).toBe(false);
    expect(mayCall(viewer, 'default', 'createPool')).toBe(false);
    expect(mayCall(viewer, 'default', 'getWhoami')).toBe(true);
    expect(mayCall(viewer, 'default', 'listPools')).toBe(true);
    const root = user([], true);
    expect(mayCall(root, 'other', 'deleteVm')).toBe(true);
    expect(mayCall(root, undefined, 'createPool')).toBe(true);
  });

  it('keeps the project picked last time while it is offered, else default, else a project with a role', () => {
    expect(pickProject(['default', 'lab'], viewer, 'lab')).toBe('lab');
    expect(pickProject(['default', 'lab'], viewer, 'gone')).toBe('default');
    expect(pickProject(['lab', 'zoo'], user([{ project: 'zoo', role: 'viewer' }]), undefined)).toBe('zoo');
    expect(pickProject(['lab'], user([], true), undefined)).toBe('lab');
    expect(pickProject([], viewer, 'lab')).toBeUndefined();
  });

  it('names the role in the current project for the header', () => {
    expect(roleIn(viewer, 'lab')).toBe('operator');
    expect(describeRole(viewer, 'default')).toBe('viewer');
    expect(describeRole(viewer, 'other')).toBe('no role here');
    expect(describeRole(user([], true), 'lab')).toBe('cluster admin');
    expect(describeRole(user([{ project: 'lab', role: 'viewer' }], true), 'lab')).toBe('cluster admin (viewer here)');
  });
});
