import { routeAccess, routes, type RouteDef, type RouteId } from '@herd/api';
import { describe, expect, it } from 'vitest';
import { forwardRoutes, ownerRefOf } from './forward-routes.js';

const ids = Object.keys(routes) as RouteId[];

/** The property names of an object schema (TypeBox keeps them in `properties`). */
function fields(schema: RouteDef['params'] | RouteDef['body']): string[] {
  return Object.keys((schema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {});
}

describe('forward routes', () => {
  it('every route of the route table says where it runs, and no other route is listed', () => {
    expect(Object.keys(forwardRoutes).sort()).toEqual([...ids].sort());
    expect(Object.keys(forwardRoutes).sort()).toEqual(Object.keys(routeAccess).sort());
  });

  it('every rule reads a parameter or body field its route has', () => {
    for (const id of ids) {
      const rule = forwardRoutes[id];
      const route = routes[id] as RouteDef;
      if (rule.to === 'local') continue;
      if ('body' in rule) expect(fields(route.body), id).toContain(rule.body);
      else expect(fields(route.params), id).toContain(rule.param);
    }
  });

  it('routes under /vms/{id} go to the VM\'s host, but for the listed database reads and the migration destination\'s steps', () => {
    const vmLocal = ids.filter((id) => (routes[id] as RouteDef).path.startsWith('/vms/{id}') && forwardRoutes[id].to === 'local');
    expect(vmLocal.sort()).toEqual(['explainPlacement', 'finishMigration', 'getVm', 'listSnapshots', 'listVmNics', 'prepareMigration']);
  });

  it('a host drains itself', () => {
    for (const id of ['startHostMaintenance', 'endHostMaintenance', 'evacuateHost'] as const) expect(forwardRoutes[id]).toEqual({ to: 'host', param: 'id' });
    expect(ownerRefOf(forwardRoutes.evacuateHost, { id: 'h2' }, {})).toEqual({ kind: 'host', ref: 'h2' });
  });

  it('console WebSockets and their tickets go to the same host', () => {
    expect(forwardRoutes.getVmConsole).toEqual(forwardRoutes.createConsoleTicket);
    expect(forwardRoutes.getVmVnc).toEqual(forwardRoutes.createConsoleTicket);
  });

  it('finds the reference a request is routed by', () => {
    expect(ownerRefOf(forwardRoutes.stopVm, { id: 'web' }, {})).toEqual({ kind: 'vm', ref: 'web' });
    expect(ownerRefOf(forwardRoutes.attachVolume, { id: 'data1' }, { vm: 'db' })).toEqual({ kind: 'vm', ref: 'db' });
    expect(ownerRefOf(forwardRoutes.detachVolume, { id: 'data1' }, {})).toEqual({ kind: 'volume', ref: 'data1' });
    expect(ownerRefOf(forwardRoutes.deleteBackup, { id: '/srv/b.tar' }, undefined)).toEqual({ kind: 'backup', ref: '/srv/b.tar' });
    expect(ownerRefOf(forwardRoutes.listVms, {}, undefined)).toBeUndefined();
    expect(ownerRefOf(forwardRoutes.attachVolume, { id: 'data1' }, {})).toBeUndefined();
    expect(ownerRefOf(forwardRoutes.stopVm, undefined, undefined)).toBeUndefined();
  });
});
