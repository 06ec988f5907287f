#!/usr/bin/env node
/** Runs the daemon directly (`node packages/daemon/dist/main.js --data-dir D --listen A`), as tests and benchmarks do. */
import './memory-footprint.js';
import { parseArgs } from 'node:util';
import { serve } from './daemon.js';

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string', default: process.env.HERD_DATA_DIR ?? './var' },
    listen: { type: 'string', default: process.env.HERD_LISTEN ?? '127.0.0.1:8080' },
    accel: { type: 'string', default: process.env.HERD_ACCEL ?? 'auto' },
    'log-level': { type: 'string', default: process.env.HERD_LOG_LEVEL ?? 'info' },
    'demo-image': { type: 'boolean', default: false },
  },
});
const accel = values.accel;
if (accel !== 'auto' && accel !== 'kvm' && accel !== 'tcg') {
  process.stderr.write(`herd: --accel must be auto, kvm or tcg, not '${accel}'\n`);
  process.exit(2);
}
serve({
  dataDir: values['data-dir'],
  listen: values.listen,
  accel,
  logLevel: values['log-level'],
  ...(values['demo-image'] ? { demoImage: 'tiny' as const } : {}),
}).catch((e: unknown) => {
  process.stderr.write(`herd: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
