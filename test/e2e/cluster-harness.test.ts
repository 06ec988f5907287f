/**
 * The cluster harness itself (test/helpers/cluster.ts), which the multi-host tests stand on:
 * three daemons on one PostgreSQL in a hub namespace know each other, see the same paths with
 * their own files behind them, can be cut off the network and healed, their QEMUs are found by
 * host, and `close()` leaves nothing behind: no namespace, mount, process or directory.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster, type ClusterHost } from '../helpers/cluster.js';
import { contractViolations } from '../helpers/openapi-check.js';
import { waitFor } from '../helpers/wait.js';

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster();
});

afterAll(async () => {
  await cluster?.close();
});

/** Whether `from` gets an answer to one ping of `address` within a second. */
async function reaches(from: ClusterHost, address: string): Promise<boolean> {
  return (await from.exec(['busybox', 'ping', '-c', '1', '-W', '1', address])).code === 0;
}

describe('a three-host cluster', () => {
  it('has every host registered, as any host and the CLI report', async () => {
    const [h1, h2] = cluster.hosts;
    const names = await waitFor('three hosts', async () => {
      const hosts = await h1!.client.call('listHosts');
      return hosts.length === 3 ? hosts.map((h) => h.name).sort() : undefined;
    });
    expect(names).toEqual(['h1', 'h2', 'h3']);
    const listed = await h2!.cli(['host', 'list', '-o', 'json']);
    expect(listed.stderr).toBe('');
    expect((JSON.parse(listed.stdout) as { name: string }[]).map((h) => h.name).sort()).toEqual(['h1', 'h2', 'h3']);
    expect(contractViolations).toEqual([]);
  });

  it('runs PostgreSQL in the hub, reachable from the hosts', async () => {
    const r = await cluster.host('h1').exec(['psql', '-X', '-A', '-t', '-c', 'SELECT 6 * 7', cluster.pgUrl]);
    expect(r.stdout.trim()).toBe('42');
  });

  it('shows each host its own data directory, and the images and the shared pool of all, at the same paths', async () => {
    writeFileSync(join(cluster.imagesRealDir, 'marker'), 'image');
    writeFileSync(join(cluster.sharedPoolRealDir, 'marker'), 'pool');
    for (const host of cluster.hosts) {
      writeFileSync(join(host.realDir, 'marker'), host.name);
      expect(existsSync(host.socketPath)).toBe(true);
    }
    for (const host of cluster.hosts) {
      const r = await host.exec(['cat', join(cluster.dataDir, 'marker'), join(cluster.dataDir, 'images', 'marker'), join(cluster.sharedPoolPath, 'marker')]);
      expect(r.stdout).toBe(`${host.name}imagepool`);
    }
  });

  it("cuts h3 off PostgreSQL and the other hosts at once, and heals the link, either way", async () => {
    const [h1, , h3] = cluster.hosts;
    const hub = cluster.network.hubAddress;
    expect(await reaches(h3!, hub)).toBe(true);
    for (const mode of ['down', 'drop'] as const) {
      h3!.cutLink(mode);
      expect(await reaches(h3!, hub)).toBe(false);
      expect(await reaches(h3!, h1!.address)).toBe(false);
      expect(await reaches(h1!, h3!.address)).toBe(false);
      expect(await reaches(h1!, hub)).toBe(true);
      await h3!.restoreLink();
      expect(await reaches(h3!, hub)).toBe(true);
      expect(await reaches(h3!, h1!.address)).toBe(true);
    }
  });

  it('finds each QEMU and the host it runs on', async () => {
    const uuid = '00000000-0000-4000-8000-0000000000ab';
    // A QEMU started behind herd's back on h2: close() must end it all the same.
    spawn('ip', ['netns', 'exec', cluster.host('h2').netns, 'qemu-system-x86_64', '-machine', 'none', '-nodefaults', '-display', 'none', '-S', '-uuid', uuid], { stdio: 'ignore' });
    const found = await waitFor('the QEMU', () => cluster.qemuProcesses().find((q) => q.vmId === uuid));
    expect(found.host).toBe('h2');
  });

  it('closes without a trace: no namespace, mount, process or directory', async () => {
    const { id, root } = cluster;
    const pids = [cluster.postgres.pid, ...cluster.hosts.map((h) => h.pid!), ...cluster.qemuProcesses().map((q) => q.pid)];
    expect(pids.every(isLive)).toBe(true);
    expect(pids).toHaveLength(1 + 3 + 1);
    await cluster.close();
    expect(readdirSync('/run/netns').filter((ns) => ns.startsWith(id))).toEqual([]);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(id);
    expect(existsSync(root)).toBe(false);
    expect(pids.filter(isLive)).toEqual([]);
    expect(livePidsMentioning(root)).toEqual([]);
    await cluster.close(); // again: nothing to do
  });
});

/** Whether `pid` runs (is neither gone nor a zombie). */
function isLive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** Live processes whose command line mentions `text` (PostgreSQL, daemons and QEMUs name the cluster's directory). */
function livePidsMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text) && isLive(pid);
      } catch {
        return false;
      }
    });
}
