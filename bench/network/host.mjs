// What the bench does on the host: network namespaces it makes and removes (nothing it does
// touches the host's own networking), a loopback relay to a daemon's unix socket, a ping probe,
// and finding and ending the processes it started.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';

/** Runs `cmd` inside namespace `ns` and returns its stdout; throws with its stderr on failure. */
export function inNs(ns, cmd, input) {
  try {
    return execFileSync('ip', ['netns', 'exec', ns, ...cmd], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...(input === undefined ? {} : { input }) });
  } catch (e) {
    throw new Error(`in namespace ${ns}: ${cmd.join(' ')}: ${e.stderr || e.message}`);
  }
}

/**
 * A fresh network namespace `PREFIX-RANDOM` with loopback up. `remove()` deletes it, and with it
 * every link made in it, once no process of the bench runs in it any more; it may be called twice.
 */
export function makeNetns(prefix) {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', name]);
  inNs(name, ['ip', 'link', 'set', 'lo', 'up']);
  return {
    name,
    remove: () => {
      try {
        execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    },
  };
}

/** Listens on 127.0.0.1:0 and pipes each connection to `socketPath`; `url` is its http URL. */
export async function relayToUnixSocket(socketPath) {
  const open = new Set();
  const server = createServer((client) => {
    const upstream = connect(socketPath);
    open.add(client).add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream).pipe(client);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => {
      for (const s of open) s.destroy();
      server.close();
    },
  };
}

/**
 * Starts pinging `ip` from namespace `ns` every 100 ms (busybox ping: the host has no iputils)
 * and returns `{ answered, stop() }`: `answered` resolves to the hrtime (ns, bigint) at which the
 * first reply was read, i.e. once the guest has the address and answers on it. busybox ping
 * flushes each reply line as it prints it. Start it before the action timed, so its own start-up
 * is not counted.
 */
export function pingUntilAnswered(ns, ip, timeoutMs = 120_000) {
  const child = spawn('ip', ['netns', 'exec', ns, 'busybox', 'ping', '-i', '0.1', ip], { stdio: ['ignore', 'pipe', 'ignore'] });
  let timer;
  const answered = new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (b) => {
      const at = process.hrtime.bigint();
      buf += b.toString();
      if (/bytes from/.test(buf)) resolve(at);
    });
    child.on('exit', () => reject(new Error(`ping ${ip} in ${ns} ended before an answer`)));
    timer = setTimeout(() => reject(new Error(`${ip} did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  answered.catch(() => undefined).finally(() => clearTimeout(timer));
  return {
    answered,
    stop: () => {
      clearTimeout(timer);
      if (child.exitCode === null) child.kill();
    },
  };
}

/** Pids of processes whose command line contains `marker` (a directory only this run uses). */
export function pidsMentioning(marker) {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Sends SIGKILL to each of `pids` that still runs and waits (up to 5 s) until they are gone. */
export async function killAndWait(pids) {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + 5000;
  const alive = (pid) => {
    try {
      // A zombie waiting for its parent counts as gone: it holds no namespace or device.
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  };
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

/** CPU time (user + system, ms) the processes `pids` have used so far, from /proc/PID/stat. */
export function cpuMs(pids) {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(f[11]) + Number(f[12]);
  }
  // USER_HZ is 100 on Linux.
  return ticks * 10;
}
