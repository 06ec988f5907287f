/**
 * Reading the few facts herd needs from ELF program headers: whether a program is statically
 * linked (busybox must be: the initramfs has no dynamic loader) and whether a kernel image has a
 * PVH entry point (QEMU can then boot it directly, without the bzImage decompressor).
 */
import { open } from 'node:fs/promises';

const PT_INTERP = 3;
const PT_NOTE = 4;
/** XEN_ELFNOTE_PHYS32_ENTRY: the 32-bit PVH entry point QEMU's `-kernel` ELF loader looks for. */
const XEN_ELFNOTE_PHYS32_ENTRY = 18;

/** What {@link readElfSegments} learns from a file. */
interface ElfSegments {
  readonly types: readonly number[];
  /** Contents of every PT_NOTE segment. */
  readonly notes: readonly Buffer[];
}

/** Reads the program headers (and note segments) of a 64-bit little-endian ELF; null if not one. */
async function readElfSegments(path: string): Promise<ElfSegments | null> {
  const file = await open(path, 'r');
  const read = async (offset: number, length: number): Promise<Buffer> => {
    const b = Buffer.alloc(length);
    const { bytesRead } = await file.read(b, 0, length, offset);
    return b.subarray(0, bytesRead);
  };
  try {
    const eh = await read(0, 64);
    if (eh.length < 64 || eh.readUInt32BE(0) !== 0x7f454c46 || eh[4] !== 2 || eh[5] !== 1) return null;
    const phoff = Number(eh.readBigUInt64LE(0x20));
    const phentsize = eh.readUInt16LE(0x36);
    const phnum = eh.readUInt16LE(0x38);
    if (phentsize < 56) return null;
    const table = await read(phoff, phentsize * phnum);
    const types: number[] = [];
    const notes: Buffer[] = [];
    for (let at = 0; at + 56 <= table.length; at += phentsize) {
      const type = table.readUInt32LE(at);
      types.push(type);
      if (type === PT_NOTE) notes.push(await read(Number(table.readBigUInt64LE(at + 8)), Number(table.readBigUInt64LE(at + 32))));
    }
    return { types, notes };
  } finally {
    await file.close();
  }
}

/**
 * Resolves when `path` is a 64-bit little-endian ELF executable without a program interpreter
 * (PT_INTERP), i.e. it runs without a dynamic loader. Throws otherwise, ending with `hint`.
 */
export async function assertStaticElf(path: string, hint: string): Promise<void> {
  const elf = await readElfSegments(path);
  if (elf === null) throw new Error(`${path} is not a 64-bit little-endian ELF executable; ${hint}`);
  if (elf.types.includes(PT_INTERP)) throw new Error(`${path} is dynamically linked; ${hint}`);
}

/** Reports whether `path` is an ELF kernel with a PVH entry note, bootable by QEMU `-kernel`. */
export async function hasPvhEntry(path: string): Promise<boolean> {
  const elf = await readElfSegments(path);
  return elf !== null && elf.notes.some(hasXenPhys32EntryNote);
}

function hasXenPhys32EntryNote(notes: Buffer): boolean {
  // Each note: namesz, descsz, type, then the name and the desc, each padded to 4 bytes.
  for (let at = 0; at + 12 <= notes.length; ) {
    const namesz = notes.readUInt32LE(at);
    const descsz = notes.readUInt32LE(at + 4);
    const type = notes.readUInt32LE(at + 8);
    const name = notes.toString('latin1', at + 12, at + 12 + namesz);
    if (name === 'Xen\0' && type === XEN_ELFNOTE_PHYS32_ENTRY) return true;
    at += 12 + align4(namesz) + align4(descsz);
  }
  return false;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
