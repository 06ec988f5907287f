/**
 * Resolving which kernel modules the guest needs, and in which order to load them, from the
 * `modules.dep` that depmod writes for every installed kernel. The guest loads them with plain
 * `insmod` in that order, so it needs neither modprobe nor a modules.dep of its own.
 */

/** A module file from modules.dep, relative to `/lib/modules/VERSION`. */
export interface ModuleFile {
  /** Canonical module name: file name without `.ko*`, with `-` turned into `_`. */
  readonly name: string;
  /** Path relative to the modules directory, e.g. `kernel/fs/ext4/ext4.ko` (maybe `.ko.xz`). */
  readonly relativePath: string;
}

/** The parsed contents of a modules.dep file, keyed by canonical module name. */
export type ModuleDependencyTable = ReadonlyMap<string, { readonly file: ModuleFile; readonly dependsOn: readonly string[] }>;

/** Returns the canonical name of a module file or module name (`crc32c-intel.ko.xz` → `crc32c_intel`). */
export function canonicalModuleName(fileOrName: string): string {
  const base = fileOrName.slice(fileOrName.lastIndexOf('/') + 1);
  return base.replace(/\.ko(\.(xz|zst|gz))?$/, '').replaceAll('-', '_');
}

/** Parses the text of a modules.dep file. Lines look like `kernel/a.ko: kernel/b.ko kernel/c.ko`. */
export function parseModulesDep(text: string): ModuleDependencyTable {
  const table = new Map<string, { file: ModuleFile; dependsOn: string[] }>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const relativePath = line.slice(0, colon).trim();
    const dependsOn = line
      .slice(colon + 1)
      .split(/\s+/)
      .filter((d) => d !== '')
      .map(canonicalModuleName);
    const name = canonicalModuleName(relativePath);
    table.set(name, { file: { name, relativePath }, dependsOn });
  }
  return table;
}

/**
 * Returns the modules to load, dependencies first, so that loading them in order with insmod
 * never fails on a missing symbol. `builtin` names (from modules.builtin) are skipped silently
 * because the kernel already has them; any other unknown name throws, since a guest without
 * (say) virtio_blk would boot but never find its disk.
 */
export function resolveModuleLoadOrder(
  table: ModuleDependencyTable,
  wanted: readonly string[],
  builtin: ReadonlySet<string> = new Set(),
): ModuleFile[] {
  const order: ModuleFile[] = [];
  const done = new Set<string>();
  const visiting = new Set<string>();
  const visit = (name: string): void => {
    if (done.has(name) || builtin.has(name)) return;
    const entry = table.get(name);
    if (entry === undefined) throw new Error(`kernel module ${name} is neither in modules.dep nor built in`);
    if (visiting.has(name)) throw new Error(`kernel module dependency cycle through ${name}`);
    visiting.add(name);
    for (const dep of entry.dependsOn) visit(dep);
    visiting.delete(name);
    done.add(name);
    order.push(entry.file);
  };
  for (const name of wanted) visit(canonicalModuleName(name));
  return order;
}

/** Parses modules.builtin (one `kernel/path/name.ko` per line) into canonical names. */
export function parseModulesBuiltin(text: string): Set<string> {
  return new Set(
    text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .map(canonicalModuleName),
  );
}
