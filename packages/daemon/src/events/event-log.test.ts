import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isEventOfVm } from '@herd/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../store/open-database.js';
import { EventLog } from './event-log.js';

const web = '6f1c2a4e-9b1d-4c55-8a3e-2f0d5b7c9e10';
const db1 = '0b9d1c2e-1111-4c55-8a3e-2f0d5b7c9e10';

let dir: string;
let db: Db;
let log: EventLog;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'herd-events-'));
  db = await openDatabase(join(dir, 'herd.db'));
  log = new EventLog(db);
  const op = (id: string, vmId: string, name: string) => ({ type: 'operation.updated', target: { type: 'operation', id, name: 'vm.start' }, message: `vm.start ${name}`, data: { operation: { id, target: { type: 'vm', id: vmId, name } } } });
  await log.append({ type: 'vm.created', target: { type: 'vm', id: web, name: 'web' }, message: 'VM web created' });
  await log.append({ type: 'vm.created', target: { type: 'vm', id: db1, name: 'db' }, message: 'VM db created' });
  await log.append(op('op-1', web, 'web'));
  await log.append(op('op-2', db1, 'db'));
  await log.append({ type: 'image.created', target: { type: 'image', id: 'img-1', name: 'web' }, message: 'image web created' });
  await log.append({ type: 'vm.state', target: { type: 'vm', id: web, name: 'web' }, message: 'VM web is running' });
});
afterEach(async () => {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('EventLog filtered by VM', () => {
  it("lists a VM's own events and those of its operations, in both reads", async () => {
    const all = await log.list(0, 100);
    const mine = await log.list(0, 100, web);
    expect(mine.map((e) => e.seq)).toEqual([1, 3, 6]);
    // The SQL filter and the stream's predicate agree.
    expect(all.filter((e) => isEventOfVm(e, web))).toEqual(mine);
    expect((await log.recent(2, web)).map((e) => e.seq)).toEqual([3, 6]);
    expect((await log.list(3, 100, web)).map((e) => e.seq)).toEqual([6]);
    expect((await log.list(0, 100, db1)).map((e) => e.type)).toEqual(['vm.created', 'operation.updated']);
  });

  it('without a VM, lists everything as before', async () => {
    expect(await log.recent(100)).toHaveLength(6);
    expect(await log.list(4, 100)).toHaveLength(2);
  });
});
