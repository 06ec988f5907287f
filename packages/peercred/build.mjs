// Builds the addon with npm's own node-gyp (npm's install step runs this). node-gyp wants the
// headers of the running node; when they are installed beside it (Debian's nodejs puts them in
// /usr/include/node) it is told so, rather than downloading them from nodejs.org, which may be
// unreachable. N-API is ABI-stable, so any node 20+ headers would do.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

const prefix = join(dirname(process.execPath), '..');
const local = existsSync(join(prefix, 'include', 'node', 'node_api.h')) && existsSync(join(prefix, 'include', 'node', 'common.gypi'));
const gyp = process.env.npm_config_node_gyp;
const args = ['rebuild', ...(local && !process.env.npm_config_nodedir ? [`--nodedir=${prefix}`] : [])];
const r = gyp ? spawnSync(process.execPath, [gyp, ...args], { stdio: 'inherit' }) : spawnSync('node-gyp', args, { stdio: 'inherit' });
if (r.status !== 0) {
  process.stderr.write(`@herd/peercred: building the addon failed (${r.error?.message ?? `exit ${r.status}`}); it needs python3, make and a C compiler (apt-get install python3 make g++)\n`);
  process.exit(1);
}
