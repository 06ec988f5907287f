// What is measured inside the guests, identically on both sides: the shell commands (busybox
// applets of the tiny image) and the parsers of what they print. Timings come from the guests'
// own clocks, so nothing on the host (console relays, CLI start-up) is in them.

/** Bytes per dd block of a transfer. */
export const BLOCK_BYTES = 64 * 1024;

/**
 * Pings `ip` `count` times every `intervalS` seconds. The replies go to a file and are summed up
 * afterwards: printing each on the emulated serial port while pinging would cost the guest CPU
 * time in the middle of the measurement. Prints `PING replies sum sum-of-squares min max` (ms).
 */
export function pingCommand(ip, count, intervalS) {
  const stats = `awk -F'time=' '/time=/ { t = $2 + 0; n++; s += t; q += t * t; if (n == 1 || t < lo) lo = t; if (t > hi) hi = t } END { printf "PING %d %.4f %.4f %.4f %.4f\\n", n, s, q, lo, hi }'`;
  return `ping -c ${count} -i ${intervalS} ${ip} > /tmp/bench-ping 2>&1; ${stats} /tmp/bench-ping`;
}

/**
 * Reads {@link pingCommand}'s output: replies lost, and avg, mdev (computed as iputils does;
 * busybox ping's summary has min/avg/max but no mdev), min and max in ms. Throws when no reply
 * came back.
 */
export function parsePing(output, count) {
  const m = /PING (\d+) ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+)/.exec(output);
  if (!m || Number(m[1]) === 0) throw new Error(`no ping replies: ${output}`);
  const [n, sum, sumSq, min, max] = m.slice(1).map(Number);
  const avg = sum / n;
  return { replies: n, lost: count - n, avg, mdev: Math.sqrt(Math.max(0, sumSq / n - avg * avg)), min, max };
}

/**
 * Starts `nc -l -p PORT` in the background (busybox nc exits after one connection) and returns
 * once the port listens. busybox nc listens on the IPv6 wildcard, so /proc/net/tcp6 shows it.
 * Prints `listening` (or nothing after 5 s without).
 */
export function listenCommand(port) {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return `nc -l -p ${port} > /dev/null & i=0; until cat /proc/net/tcp6 /proc/net/tcp 2>/dev/null | grep -q ':${hex} [0-9A-F]*:0000 0A'; do i=$((i+1)); [ $i -ge 100 ] && break; usleep 50000; done; [ $i -lt 100 ] && echo listening`;
}

/**
 * Sends `count` blocks of {@link BLOCK_BYTES} zeros to `ip`:`port` and prints
 * `XFER START END` from /proc/uptime (busybox date has no %N; /proc/uptime has 10 ms steps, small
 * against a transfer of seconds). busybox nc shuts its sending side at the end of its input and
 * exits once the receiver, having read everything, closes: END is after the last byte arrived.
 */
export function transferCommand(ip, port, count) {
  return `t0=$(cut -d' ' -f1 /proc/uptime); dd if=/dev/zero bs=${BLOCK_BYTES} count=${count} 2>/dev/null | timeout 600 nc ${ip} ${port}; t1=$(cut -d' ' -f1 /proc/uptime); echo "XFER $t0 $t1"`;
}

/** Reads {@link transferCommand}'s output: seconds and MB/s (10^6 bytes per second). */
export function parseTransfer(output, count) {
  const m = /XFER ([\d.]+) ([\d.]+)/.exec(output);
  if (!m) throw new Error(`no transfer timing in: ${output}`);
  const seconds = Number(m[2]) - Number(m[1]);
  if (!(seconds > 0)) throw new Error(`transfer took ${seconds} s by the guest's clock: ${output}`);
  return { seconds, mbPerS: (count * BLOCK_BYTES) / seconds / 1e6 };
}

/** The guest's IPv4 address on `dev` (prints nothing while it has none). */
export function addressCommand(dev) {
  return `ip -4 -o addr show dev ${dev} 2>/dev/null | awk '{print $4}' | cut -d/ -f1`;
}
