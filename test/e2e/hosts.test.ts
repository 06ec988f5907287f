/**
 * Hosts end to end: a single host (SQLite) is a cluster of one that registers, leads and
 * reports what its VMs claim; labels and overcommit ratios through the API and the CLI; and
 * two daemons on one PostgreSQL, where leadership moves at once on a clean stop and after the
 * lease on a crash, a stopped host turns late, and only a dead, empty host can be removed.
 */
import { writeFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { join } from 'node:path';
import type { Host } from '@herd/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresServer } from '../../packages/daemon/src/store/testing/postgres.js';
import { DaemonProcess } from '../helpers/daemon-process.js';
import { contractViolations } from '../helpers/openapi-check.js';
import { waitFor } from '../helpers/wait.js';

describe('a single host', () => {
  const daemon = new DaemonProcess();

  beforeAll(async () => {
    await daemon.start();
  }, 120_000);
  afterAll(() => daemon.destroy());

  it('registers itself under its hostname, leads, and reports its capacity', async () => {
    const hosts = await daemon.client.call('listHosts');
    expect(hosts).toHaveLength(1);
    const h = await waitFor('this host leads', async () => {
      const x = await daemon.client.call('getHost', { params: { id: 'local' } });
      return x.leader ? x : undefined;
    });
    expect(h).toMatchObject({ name: hostname(), address: null, status: 'online', alive: true, mode: 'active', labels: {}, overcommit: {}, dataDir: daemon.dataDir, vms: { total: 0, running: 0 } });
    expect(h.capacity.vcpus).toBe(cpus().length);
    expect(h.capacity.diskGiB).toBeGreaterThan(0);
    expect(h.pools).toContain('default');
    expect(h.accelReason.length).toBeGreaterThan(0);
    expect(Date.parse(h.leaseExpiresAt)).toBeGreaterThan(Date.parse(h.heartbeatAt));
    expect((await daemon.client.call('getHost', { params: { id: h.name } })).name).toBe(h.name);
  });

  it('sets labels (replacing them) and overcommit ratios (merging them), and refuses malformed ones naming the field', async () => {
    const labelled = await daemon.client.call('updateHost', { params: { id: 'local' }, body: { labels: { zone: 'a', 'example.com/rack': 'r1' }, overcommit: { cpu: 4, disk: 2 } } });
    expect(labelled).toMatchObject({ labels: { zone: 'a', 'example.com/rack': 'r1' }, overcommit: { cpu: 4, disk: 2 } });
    const changed = await daemon.client.call('updateHost', { params: { id: 'local' }, body: { labels: { zone: 'b' }, overcommit: { cpu: null, memory: 1.5 } } });
    expect(changed.labels).toEqual({ zone: 'b' });
    expect(changed.overcommit).toEqual({ memory: 1.5, disk: 2 });

    const bad = async (body: unknown) => {
      const res = await fetch(`${daemon.url}/api/v1/hosts/local`, { method: 'PATCH', headers: { ...daemon.auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as { error: { code: string; message: string; details: { field?: string } } } };
    };
    const key = await bad({ labels: { 'Bad Key': 'x' } });
    expect(key.status).toBe(400);
    expect(key.body.error).toMatchObject({ code: 'validation_failed', details: { field: 'labels.Bad Key' } });
    expect(key.body.error.message).toMatch(/'Bad Key' is not a valid key of labels/);
    expect((await bad({ overcommit: { cpu: 0 } })).body.error.details.field).toBe('overcommit.cpu');
    expect((await bad({ mode: 'maintenance' })).body.error.message).toMatch(/unknown field 'mode'/);
    expect((await daemon.client.call('getHost', { params: { id: 'local' } })).labels).toEqual({ zone: 'b' });
  });

  it('refuses to remove a host that is alive, and says what to do', async () => {
    const e = await daemon.client.call('deleteHost', { params: { id: 'local' } }).catch((x: unknown) => x);
    expect(e).toMatchObject({ status: 409, code: 'host_alive', message: expect.stringMatching(/stop herd on it and wait until its lease has run out/) });
    expect(await daemon.client.call('deleteHost', { params: { id: 'no-such-host' } }).catch((x: unknown) => x)).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('counts what the VMs placed on it claim', async () => {
    await daemon.client.call('buildImage', { body: { recipe: 'tiny' }, query: { wait: true } });
    await daemon.client.call('createVm', { body: { name: 'claims', image: 'tiny', cpus: 2, memoryMiB: 128, nics: [] }, query: { wait: true } });
    const vm = await daemon.client.call('getVm', { params: { id: 'claims' } });
    const h = await daemon.client.call('getHost', { params: { id: 'local' } });
    expect(vm.host).toBe(h.name);
    expect(h.vms.total).toBe(1);
    expect(h.allocated).toMatchObject({ vcpus: 2, memoryMiB: 128 });
    expect(h.allocated.diskGiB).toBeGreaterThanOrEqual(1);
    const e = await daemon.client.call('deleteHost', { params: { id: 'local' } }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'host_alive' });
  });

  it('is listed, labelled and tuned by the CLI', async () => {
    const list = await daemon.cli(['host', 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^NAME\s+STATUS\s+MODE\s+LEADER\s+VMS\s+VCPUS\s+MEMORY\s+LOAD\s+LABELS$/m);
    expect(list.stdout).toMatch(new RegExp(`^${hostname()}\\s+online\\s+active\\s+\\*\\s+0/1\\s+2/${cpus().length}\\s.*zone=b$`, 'm'));
    const label = await daemon.cli(['host', 'label', 'local', 'rack=r2', 'zone-', '-o', 'json']);
    expect(label.code, label.stderr).toBe(0);
    expect((JSON.parse(label.stdout) as Host).labels).toEqual({ rack: 'r2' });
    const tuned = await daemon.cli(['host', 'set-overcommit', 'local', '--cpu', '8', '--disk', 'default']);
    expect(tuned.code, tuned.stderr).toBe(0);
    expect(tuned.stdout).toMatch(/^vcpus:\s+2 allocated of \d+ CPUs \(overcommit 8\)$/m);
    expect(tuned.stdout).toMatch(/^disk:\s+.*\(overcommit cluster default\)$/m);
    const remove = await daemon.cli(['host', 'remove', 'local']);
    expect(remove.code).toBe(4);
    expect(remove.stderr).toMatch(/is still alive/);
  });

  it('answered every call as the OpenAPI document says', () => {
    expect(contractViolations).toEqual([]);
  });
});

describe('two hosts on one PostgreSQL', () => {
  let pg: PostgresServer;
  const h1 = new DaemonProcess();
  const h2 = new DaemonProcess();
  // Addresses nothing listens on: these tests do not forward requests between the hosts.
  const address = { h1: 'https://127.0.0.1:18443', h2: 'https://127.0.0.2:18443' } as const;
  // Short leases, so that failures show within a test: leader 900 ms (renewed every 300 ms), host 1500 ms.
  const args = (name: 'h1' | 'h2', db: string) => ['--db', db, '--host-name', name, '--advertise', address[name], '--heartbeat-ms', '200', '--host-lease-ms', '1500', '--fence-margin-ms', '500', '--leader-lease-ms', '900'];
  let db = '';

  beforeAll(async () => {
    pg = await startPostgres();
    db = await pg.createDatabase();
    await h1.start(args('h1', db));
    // The cluster admin is made once, by the first host; the second uses its token.
    writeFileSync(join(h2.dataDir, 'admin.token'), `${h1.token}\n`, { mode: 0o600 });
    await h2.start(args('h2', db));
  }, 180_000);
  afterAll(async () => {
    await Promise.allSettled([h1.destroy(), h2.destroy()]);
    await pg?.stop();
  });

  const leaders = (hosts: readonly Host[]) => hosts.filter((h) => h.leader).map((h) => h.name);

  it('lists both hosts from either, with one leader, their addresses and their state', async () => {
    for (const d of [h1, h2]) {
      const hosts = await d.client.call('listHosts');
      expect(hosts.map((h) => [h.name, h.address, h.status, h.alive])).toEqual([
        ['h1', address.h1, 'online', true],
        ['h2', address.h2, 'online', true],
      ]);
      expect(leaders(hosts)).toEqual(['h1']);
    }
    expect((await h2.client.call('getHost', { params: { id: 'local' } })).name).toBe('h2');
    // Labels set through one host are what the other serves.
    await h2.client.call('updateHost', { params: { id: 'h1' }, body: { labels: { zone: 'east' } } });
    expect((await h1.client.call('getHost', { params: { id: 'local' } })).labels).toEqual({ zone: 'east' });
  });

  it('hands leadership over at once when the leader stops cleanly; the stopped host turns late and can then be removed', async () => {
    const stoppedAt = Date.now();
    await h1.stop();
    await waitFor('h2 leads', async () => (leaders(await h2.client.call('listHosts')).join() === 'h2' ? true : undefined), 5000, 20);
    // Within a renewal period or so, not a whole lease.
    expect(Date.now() - stoppedAt).toBeLessThan(900);
    const late = await waitFor('h1 is late', async () => (await h2.client.call('listHosts')).find((h) => h.name === 'h1' && !h.alive), 5000);
    expect(late.status).toBe('online');
    expect(await h2.client.call('deleteHost', { params: { id: 'h2' } }).catch((x: unknown) => x)).toMatchObject({ code: 'host_alive' });
    const removed = await h2.client.call('deleteHost', { params: { id: 'h1' } });
    expect(removed).toMatchObject({ name: 'h1', labels: { zone: 'east' } });
    expect((await h2.client.call('listHosts')).map((h) => h.name)).toEqual(['h2']);
  });

  it('takes leadership over after the lease when the leader dies, and a host that comes back registers again', async () => {
    await h1.start(args('h1', db));
    expect((await h1.client.call('listHosts')).map((h) => [h.name, h.alive])).toEqual([
      ['h1', true],
      ['h2', true],
    ]);
    // Removed, it came back fresh: its labels went with the row.
    expect((await h1.client.call('getHost', { params: { id: 'h1' } })).labels).toEqual({});
    const killedAt = Date.now();
    await h2.kill9();
    await waitFor('h1 leads', async () => (leaders(await h1.client.call('listHosts')).join() === 'h1' ? true : undefined), 5000, 20);
    // Not before the dead leader's lease has run out.
    expect(Date.now() - killedAt).toBeGreaterThan(300);
  });

  it('answered every call as the OpenAPI document says', () => {
    expect(contractViolations).toEqual([]);
  });
});
