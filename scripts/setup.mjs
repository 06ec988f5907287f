#!/usr/bin/env node
// Prepares a fresh Debian/Ubuntu machine for `npm start` and `npm test`: system packages
// (as root), npm dependencies and the build. Every step checks first and does nothing when
// its work is already done, so running it again is cheap.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const forWhat = process.argv.includes('--for') ? process.argv[process.argv.indexOf('--for') + 1] : 'start';

/**
 * Debian packages herd needs at run time, and for its tests. iproute2, nftables and dnsmasq-base (the
 * binary without Debian's system-wide DNS service) make the bridges, rules and DHCP/DNS of networks;
 * openssl makes herd's TLS CA and server certificate. python3, make and g++ build the native
 * addons `npm ci` compiles (@herd/peercred, for the local socket's peer credentials).
 */
const runtimePackages = ['qemu-system-x86', 'qemu-utils', 'busybox-static', 'e2fsprogs', 'procps', 'iproute2', 'nftables', 'dnsmasq-base', 'zstd', 'xz-utils', 'openssl', 'python3', 'make', 'g++'];
/**
 * Debian's Chromium drives the browser tests (playwright-core, never a downloaded browser). The
 * lvm-thin tests need LVM's tools; herd itself needs them only on hosts with lvm-thin pools.
 * PostgreSQL for the cluster tests, which start throwaway servers from its binaries
 * (/usr/lib/postgresql/VERSION/bin); Debian's own "main" cluster is not used.
 */
const testPackages = ['chromium', 'lvm2', 'thin-provisioning-tools', 'postgresql'];

function say(msg) {
  process.stderr.write(`setup: ${msg}\n`);
}

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) {
    say(`\`${[cmd, ...args].join(' ')}\` failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

function installed(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

function hasKernel() {
  return existsSync('/boot') && readdirSync('/boot').some((f) => /^vmlinuz-/.test(f));
}

function ensureSystemPackages() {
  if (!existsSync('/usr/bin/dpkg-query')) {
    say('not a Debian/Ubuntu system: install QEMU (qemu-system-x86_64, qemu-img), busybox (static), mke2fs and a kernel in /boot yourself');
    return;
  }
  const wanted = [...runtimePackages, ...(forWhat === 'test' ? testPackages : [])];
  const missing = wanted.filter((p) => !installed(p));
  if (!hasKernel()) missing.push('linux-image-amd64');
  if (missing.length === 0) return;
  const command = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    say(`herd needs these system packages: ${missing.join(', ')}.`);
    say(`run this as root, then run npm ${forWhat} again:\n\n  sudo sh -c '${command}'\n`);
    process.exit(1);
  }
  say(`installing ${missing.join(', ')}`);
  sh('sh', ['-c', command]);
}

function ensureNpmDependencies() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(join(root, 'package-lock.json')).mtimeMs) return;
  say('installing npm dependencies');
  sh('npm', ['ci', '--no-audit', '--no-fund']);
}

function newestMtime(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return readdirSync(path).reduce((m, f) => Math.max(m, newestMtime(join(path, f))), st.mtimeMs);
}

function ensureBuilt() {
  // tsc -b is incremental: it rebuilds only what changed, and takes a second when nothing did.
  sh('npx', ['tsc', '-b', 'packages/api', 'packages/daemon', 'packages/cli']);
  // The `herd` executable is the CLI bundled into one file (packages/cli/bundle.mjs).
  sh('node', [join(root, 'packages', 'cli', 'bundle.mjs')]);
  // The web UI (served by the daemon at /) is rebuilt when its sources or the API contract changed.
  const web = join(root, 'packages', 'web');
  const built = join(web, 'dist', 'index.html');
  const inputs = ['src', 'index.html', 'vite.config.ts', 'package.json'].map((f) => join(web, f)).concat(join(root, 'packages', 'api', 'dist'));
  if (!existsSync(built) || inputs.some((f) => existsSync(f) && newestMtime(f) > statSync(built).mtimeMs)) sh('npm', ['run', 'build', '-w', '@herd/web']);
}

ensureSystemPackages();
ensureNpmDependencies();
ensureBuilt();
