#!/usr/bin/env -S node --lite-mode --max-semi-space-size=1 --optimize-for-size --no-expose-wasm
/**
 * Runs the daemon directly (`packages/daemon/dist/main.js --data-dir D --listen A`), as tests
 * and benchmarks do. The node flags trade JIT speed for memory: the daemon waits on QEMU,
 * SQLite and sockets rather than computing, and runs beside the VMs it manages, where every
 * MiB counts. V8's lite mode and a small young generation take ~20 MiB off its resident size
 * (bench/lifecycle). They must be given when node starts (setting them at run time can crash
 * V8), so the shebang carries them and so must any `node ...` command line that starts herd.
 * Lite mode has no WebAssembly (`--no-expose-wasm` only silences V8's note about it), which
 * the daemon does not use; the CLI, whose fetch() needs it, runs without these flags.
 */
import { parseArgs } from 'node:util';
import { serve } from './daemon.js';

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string', default: process.env.HERD_DATA_DIR ?? './var' },
    listen: { type: 'string', default: process.env.HERD_LISTEN ?? '127.0.0.1:8080' },
    // The local socket (root has full rights there) is always served; this only moves it.
    socket: { type: 'string', ...(process.env.HERD_SOCKET && { default: process.env.HERD_SOCKET }) },
    'tls-cert': { type: 'string', ...(process.env.HERD_TLS_CERT && { default: process.env.HERD_TLS_CERT }) },
    'tls-key': { type: 'string', ...(process.env.HERD_TLS_KEY && { default: process.env.HERD_TLS_KEY }) },
    accel: { type: 'string', default: process.env.HERD_ACCEL ?? 'auto' },
    'log-level': { type: 'string', default: process.env.HERD_LOG_LEVEL ?? 'info' },
    'demo-image': { type: 'boolean', default: false },
    'no-default-network': { type: 'boolean', default: process.env.HERD_DEFAULT_NETWORK === 'off' },
    'metrics-interval': { type: 'string', default: process.env.HERD_METRICS_INTERVAL ?? '10' },
    // Cluster mode: the shared database, this host's name, and the URL the other hosts reach it on.
    db: { type: 'string', ...(process.env.HERD_DB && { default: process.env.HERD_DB }) },
    'host-name': { type: 'string', ...(process.env.HERD_HOST_NAME && { default: process.env.HERD_HOST_NAME }) },
    advertise: { type: 'string', ...(process.env.HERD_ADVERTISE && { default: process.env.HERD_ADVERTISE }) },
    // Timings for tests (milliseconds): leases, for tests that make hosts fail; how long a console ticket lasts.
    'heartbeat-ms': { type: 'string' },
    'host-lease-ms': { type: 'string' },
    'fence-margin-ms': { type: 'string' },
    'leader-lease-ms': { type: 'string' },
    'ha-grace-ms': { type: 'string' },
    'console-ticket-ms': { type: 'string' },
    // How the leader evens out host loads: manual (plans only), partial (relieves hot hosts), full.
    rebalance: { type: 'string', ...(process.env.HERD_REBALANCE && { default: process.env.HERD_REBALANCE }) },
    'rebalance-threshold': { type: 'string' },
    'rebalance-budget': { type: 'string' },
  },
});
const accel = values.accel;
if (accel !== 'auto' && accel !== 'kvm' && accel !== 'tcg') {
  process.stderr.write(`herd: --accel must be auto, kvm or tcg, not '${accel}'\n`);
  process.exit(2);
}
const metricsInterval = Number(values['metrics-interval']);
if (!(metricsInterval >= 1 && metricsInterval <= 3600)) {
  process.stderr.write(`herd: --metrics-interval must be a number of seconds from 1 to 3600, not '${values['metrics-interval']}'\n`);
  process.exit(2);
}
/** A timing option in milliseconds, or undefined when not given; exits on nonsense. */
function milliseconds(option: 'heartbeat-ms' | 'host-lease-ms' | 'fence-margin-ms' | 'leader-lease-ms' | 'ha-grace-ms' | 'console-ticket-ms'): number | undefined {
  const text = values[option];
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 3_600_000) {
    process.stderr.write(`herd: --${option} must be whole milliseconds from 1 to 3600000, not '${text}'\n`);
    process.exit(2);
  }
  return n;
}
const timings = {
  heartbeatMs: milliseconds('heartbeat-ms'),
  hostLeaseMs: milliseconds('host-lease-ms'),
  fenceMarginMs: milliseconds('fence-margin-ms'),
  leaderLeaseMs: milliseconds('leader-lease-ms'),
  haGraceMs: milliseconds('ha-grace-ms'),
  consoleTicketMs: milliseconds('console-ticket-ms'),
};
const automation = values.rebalance;
if (automation !== undefined && automation !== 'manual' && automation !== 'partial' && automation !== 'full') {
  process.stderr.write(`herd: --rebalance must be manual, partial or full, not '${automation}'\n`);
  process.exit(2);
}
const threshold = values['rebalance-threshold'] === undefined ? undefined : Number(values['rebalance-threshold']);
if (threshold !== undefined && !(threshold > 0 && threshold < 1)) {
  process.stderr.write(`herd: --rebalance-threshold must be a load spread between 0 and 1 (e.g. 0.25), not '${values['rebalance-threshold']}'\n`);
  process.exit(2);
}
const budget = values['rebalance-budget'] === undefined ? undefined : Number(values['rebalance-budget']);
if (budget !== undefined && !(Number.isInteger(budget) && budget >= 1 && budget <= 100)) {
  process.stderr.write(`herd: --rebalance-budget must be a number of migrations per pass from 1 to 100, not '${values['rebalance-budget']}'\n`);
  process.exit(2);
}
const rebalance = { ...(automation !== undefined && { automation: automation as 'manual' | 'partial' | 'full' }), ...(threshold !== undefined && { threshold }), ...(budget !== undefined && { budget }) };
serve({
  metricsIntervalSeconds: metricsInterval,
  ...(values.db !== undefined && { db: values.db }),
  ...(values['host-name'] !== undefined && { hostName: values['host-name'] }),
  ...(values.advertise !== undefined && { advertise: values.advertise }),
  ...Object.fromEntries(Object.entries(timings).filter(([, v]) => v !== undefined)),
  ...(Object.keys(rebalance).length > 0 && { rebalance }),
  dataDir: values['data-dir'],
  listen: values.listen,
  ...(values.socket !== undefined && { socket: values.socket }),
  ...(values['tls-cert'] !== undefined && { tlsCert: values['tls-cert'] }),
  ...(values['tls-key'] !== undefined && { tlsKey: values['tls-key'] }),
  accel,
  logLevel: values['log-level'],
  ...(values['demo-image'] ? { demoImage: 'tiny' as const } : {}),
  defaultNetwork: !values['no-default-network'],
}).catch((e: unknown) => {
  process.stderr.write(`herd: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
