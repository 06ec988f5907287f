/**
 * Checks that an ELF executable is statically linked. The initramfs has no libc or dynamic
 * loader, so a dynamically linked busybox (Debian's `busybox` package, as opposed to
 * `busybox-static`) would fail at boot with a confusing "No working init found" panic.
 */
import { open } from 'node:fs/promises';

const PT_INTERP = 3;

/**
 * Resolves when `path` is a 64-bit little-endian ELF file without a program interpreter
 * (PT_INTERP), i.e. it runs without a dynamic loader. Throws otherwise, naming the fix.
 */
export async function assertStaticElf(path: string, hint: string): Promise<void> {
  const file = await open(path, 'r');
  try {
    const header = Buffer.alloc(64);
    await file.read(header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) {
      throw new Error(`${path} is not a 64-bit little-endian ELF executable; ${hint}`);
    }
    const phoff = Number(header.readBigUInt64LE(0x20));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    const table = Buffer.alloc(phentsize * phnum);
    await file.read(table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) {
      if (table.readUInt32LE(i * phentsize) === PT_INTERP) {
        throw new Error(`${path} is dynamically linked; ${hint}`);
      }
    }
  } finally {
    await file.close();
  }
}
