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

/** Debian packages herd needs at run time, and for its tests. */
const runtimePackages = ['qemu-system-x86', 'qemu-utils', 'busybox-static', 'e2fsprogs', 'procps', 'iproute2', 'zstd', 'xz-utils'];
const testPackages = [];

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

function ensureBuilt() {
  // tsc -b is incremental: it rebuilds only what changed, and takes a second when nothing did.
  sh('npx', ['tsc', '-b', 'packages/api', 'packages/daemon', 'packages/cli']);
}

ensureSystemPackages();
ensureNpmDependencies();
ensureBuilt();
