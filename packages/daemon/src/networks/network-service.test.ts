import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HerdError, type NetworkCreate } from '@herd/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventLog } from '../events/event-log.js';
import { openDatabase, type Db } from '../store/open-database.js';
import type { VmRepo } from '../vm/vm-repo.js';
import { NetworkRepo } from './network-repo.js';
import { NetworkService } from './network-service.js';
import { NicRepo } from './nic-repo.js';

// Creating vxlan networks against a real database; the host side is vxlan-network.test.ts's.
let dir: string;
let db: Db;
let events: EventLog;
let service: NetworkService;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'herd-netsvc-'));
  db = await openDatabase(join(dir, 'herd.db'));
  events = new EventLog(db);
  const networks = new NetworkRepo(db, events);
  // Stands in for the reconciler: every network comes up (or goes) at once.
  const reconcileNow = async (id: string) => {
    const row = await networks.get(id);
    if (row?.deleting) await networks.remove(row);
    else await networks.update(id, { state: 'ready' });
  };
  service = new NetworkService({ networks, nics: new NicRepo(db), vms: {} as VmRepo, unavailable: undefined, reconcileNow });
});
afterEach(async () => {
  events.close();
  await db.destroy();
  await rm(dir, { recursive: true, force: true });
});

const vxlan = (name: string, over: Partial<NetworkCreate> = {}): NetworkCreate => ({ name, type: 'vxlan', cidr: `10.${70 + name.length}.0.0/24`, ...over });

async function refusal(body: NetworkCreate): Promise<HerdError> {
  const e = await service.create(body).catch((x: unknown) => x);
  if (!(e instanceof HerdError)) throw new Error(`expected a HerdError, got ${String(e)}`);
  return e;
}

describe('vxlan networks', () => {
  it('get the lowest free VNI above the VLAN ids, an MTU that fits a 1500-byte underlay, and no VLAN', async () => {
    const a = await service.create(vxlan('a'));
    expect(a).toMatchObject({ type: 'vxlan', vni: 4096, mtu: 1450, vlan: null, gateway: '10.71.0.1', domain: 'a.herd' });
    expect((await service.create(vxlan('bb', { vni: 4097 }))).vni).toBe(4097);
    expect((await service.create(vxlan('ccc'))).vni).toBe(4098);
    await service.delete('a');
    expect((await service.create(vxlan('dddd'))).vni).toBe(4096);
    expect((await service.list()).map((n) => [n.name, n.vni])).toEqual([
      ['bb', 4097],
      ['ccc', 4098],
      ['dddd', 4096],
    ]);
  });

  it('made at the same time get different VNIs', async () => {
    const made = await Promise.all(['a', 'bb', 'ccc', 'dddd'].map((n) => service.create(vxlan(n))));
    expect(made.map((n) => n.vni).sort()).toEqual([4096, 4097, 4098, 4099]);
  });

  it('refuse a VNI another network has, naming it', async () => {
    await service.create(vxlan('a', { vni: 42 }));
    const e = await refusal(vxlan('bb', { vni: 42 }));
    expect(e.code).toBe('address_conflict');
    expect(e.status).toBe(409);
    expect(e.message).toBe("VNI 42 is already used by network 'a'; choose another or leave vni out to get a free one");
  });

  it('explain what does not fit the type', async () => {
    const cases: [NetworkCreate, string][] = [
      [{ name: 'n', type: 'nat', cidr: '10.90.0.0/24', vni: 5 }, 'vni: a nat network has no VNI; give vni only for vxlan networks'],
      [vxlan('n', { vlan: 10 }), 'vlan: a vxlan network is a segment of its own, told apart by its vni; leave vlan out'],
      [vxlan('n', { mtu: 9000 }), "mtu: a vxlan network's frames grow by 50 bytes between hosts; give at most 8950, and an underlay that carries the MTU plus 50"],
      [{ name: 'n', type: 'vxlan' }, 'cidr: a vxlan network needs a cidr, such as 10.10.0.0/24'],
      [vxlan('n', { bridge: 'br0' }), 'bridge: herd makes the bridge of a vxlan network itself; give bridge only for bridged networks'],
    ];
    for (const [body, message] of cases) expect((await refusal(body)).message, JSON.stringify(body)).toBe(message);
    expect(await service.list()).toEqual([]);
  });

  it('other networks have no VNI', async () => {
    expect(await service.create({ name: 'n', type: 'isolated', cidr: '10.90.0.0/24' })).toMatchObject({ vni: null, mtu: 1500 });
  });
});
