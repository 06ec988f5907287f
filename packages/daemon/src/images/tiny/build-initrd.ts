/**
 * Assembling the tiny guest's initramfs: busybox, the kernel modules it needs, /init and its
 * helper scripts, packed as a gzip-compressed cpio newc archive entirely in-process.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BUSYBOX_APPLETS } from './busybox-applets.js';
import { encodeCpioNewc, type CpioEntry } from './cpio-newc.js';
import { ACPI_POWER_BUTTON_HANDLER, ACPI_POWER_BUTTON_HANDLER_PATH } from './guest-acpi-handler.js';
import { renderInitScript } from './guest-init-script.js';
import { GUEST_MODULES } from './guest-modules.js';
import { UDHCPC_SCRIPT } from './guest-udhcpc-script.js';
import { readModuleUncompressed } from './module-file.js';
import { parseModulesBuiltin, parseModulesDep, resolveModuleLoadOrder, type ModuleFile } from './module-dependencies.js';
import { assertStaticElf } from './elf-file.js';

/** Inputs of {@link buildInitrd}. */
export interface InitrdSources {
  /** `/lib/modules/VERSION` of the kernel the initrd will boot with. */
  readonly modulesDir: string;
  /** A statically linked busybox. */
  readonly busyboxPath: string;
}

/** Directories of the guest's root file system, parents first. */
const DIRECTORIES: ReadonlyArray<readonly [string, number]> = [
  ['bin', 0o755],
  ['dev', 0o755],
  ['proc', 0o555],
  ['sys', 0o555],
  ['data', 0o755],
  ['root', 0o700],
  ['tmp', 0o1777],
  ['etc', 0o755],
  ['etc/acpi', 0o755],
  ['etc/acpi/PWRF', 0o755],
  ['lib', 0o755],
  ['lib/modules', 0o755],
  ['usr', 0o755],
  ['var', 0o755],
  ['var/log', 0o755],
  ['var/run', 0o755],
];

/**
 * Builds the initramfs and returns it gzip-compressed. Throws if busybox is not statically
 * linked or a needed module is missing for this kernel.
 */
export async function buildInitrd(sources: InitrdSources): Promise<Buffer> {
  await assertStaticElf(sources.busyboxPath, 'install the busybox-static package (Debian: apt-get install busybox-static)');
  const modules = await resolveGuestModules(sources.modulesDir);

  const entries: CpioEntry[] = DIRECTORIES.map(([path, mode]) => ({ kind: 'directory', path, mode }));
  // The kernel opens /dev/console for init's stdio before /init can mount devtmpfs.
  entries.push({ kind: 'char-device', path: 'dev/console', mode: 0o600, major: 5, minor: 1 });
  entries.push({ kind: 'file', path: 'bin/busybox', mode: 0o755, data: await readFile(sources.busyboxPath) });
  for (const applet of BUSYBOX_APPLETS) entries.push({ kind: 'symlink', path: `bin/${applet}`, target: 'busybox' });
  // Scripts written for a full distribution call /sbin/poweroff, /usr/bin/env and the like.
  entries.push({ kind: 'symlink', path: 'sbin', target: 'bin' });
  entries.push({ kind: 'symlink', path: 'usr/bin', target: '../bin' });
  entries.push({ kind: 'symlink', path: 'usr/sbin', target: '../bin' });
  for (const m of modules) {
    entries.push({ kind: 'file', path: `lib/modules/${m.name}.ko`, mode: 0o644, data: await readModuleUncompressed(join(sources.modulesDir, m.relativePath)) });
  }
  entries.push({ kind: 'file', path: 'init', mode: 0o755, data: Buffer.from(renderInitScript(modules.map((m) => m.name))) });
  entries.push({ kind: 'file', path: 'etc/udhcpc.script', mode: 0o755, data: Buffer.from(UDHCPC_SCRIPT) });
  entries.push({ kind: 'file', path: ACPI_POWER_BUTTON_HANDLER_PATH, mode: 0o755, data: Buffer.from(ACPI_POWER_BUTTON_HANDLER) });
  entries.push({ kind: 'file', path: 'etc/hosts', mode: 0o644, data: Buffer.from('127.0.0.1 localhost\n') });

  return gzipSync(encodeCpioNewc(entries), { level: 9 });
}

/** The guest's modules for the kernel in `modulesDir`, dependencies first. */
async function resolveGuestModules(modulesDir: string): Promise<ModuleFile[]> {
  const dep = await readFile(join(modulesDir, 'modules.dep'), 'utf8').catch((e: unknown) => {
    throw new Error(`cannot read ${join(modulesDir, 'modules.dep')} (is the kernel's modules package installed? run depmod): ${String(e)}`);
  });
  const builtin = await readFile(join(modulesDir, 'modules.builtin'), 'utf8').catch(() => '');
  return resolveModuleLoadOrder(parseModulesDep(dep), GUEST_MODULES, parseModulesBuiltin(builtin));
}
