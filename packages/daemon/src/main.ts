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
serve({
  metricsIntervalSeconds: metricsInterval,
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
