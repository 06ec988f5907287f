/**
 * A minimal writer for the cpio "newc" (SVR4, no CRC) format, the only archive format the Linux
 * kernel unpacks as an initramfs. Written in TypeScript rather than shelling out to cpio(1) so
 * the archive is byte-for-byte reproducible (fixed inode numbers, owners and mtimes) and needs
 * neither root nor real device nodes on the host.
 */

/** One member of a newc archive. Paths are relative to the archive root, without a leading `/`. */
export type CpioEntry =
  | { readonly kind: 'directory'; readonly path: string; readonly mode: number }
  | { readonly kind: 'file'; readonly path: string; readonly mode: number; readonly data: Uint8Array }
  | { readonly kind: 'symlink'; readonly path: string; readonly target: string }
  | {
      readonly kind: 'char-device';
      readonly path: string;
      readonly mode: number;
      readonly major: number;
      readonly minor: number;
    };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const HEADER_LENGTH = 110;
const TRAILER = 'TRAILER!!!';

/**
 * Encodes `entries` (in the given order: parents must come before their children, because the
 * kernel creates each member as it reads it) into one newc archive, including the trailer.
 * Every member is owned by root with mtime 0 so equal inputs give equal archives.
 */
export function encodeCpioNewc(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const entry of entries) {
    const name = entry.path.replace(/^\/+/, '');
    if (name === '' || name.includes('\0')) throw new Error(`invalid cpio member name ${JSON.stringify(entry.path)}`);
    parts.push(...encodeMember({ ...describe(entry), ino: ino++, nlink: entry.kind === 'directory' ? 2 : 1 }, name));
  }
  parts.push(...encodeMember({ ino: 0, mode: 0, nlink: 1, rdevMajor: 0, rdevMinor: 0, data: new Uint8Array() }, TRAILER));
  return Buffer.concat(parts);
}

interface Member {
  readonly ino: number;
  readonly mode: number;
  readonly nlink: number;
  readonly rdevMajor: number;
  readonly rdevMinor: number;
  readonly data: Uint8Array;
}

function describe(entry: CpioEntry): Omit<Member, 'ino' | 'nlink'> {
  switch (entry.kind) {
    case 'directory':
      return { mode: S_IFDIR | (entry.mode & 0o7777), data: new Uint8Array(), rdevMajor: 0, rdevMinor: 0 };
    case 'file':
      return { mode: S_IFREG | (entry.mode & 0o7777), data: entry.data, rdevMajor: 0, rdevMinor: 0 };
    case 'symlink':
      // The kernel reads a symlink's target from the member's data.
      return { mode: S_IFLNK | 0o777, data: Buffer.from(entry.target), rdevMajor: 0, rdevMinor: 0 };
    case 'char-device':
      return { mode: S_IFCHR | (entry.mode & 0o7777), data: new Uint8Array(), rdevMajor: entry.major, rdevMinor: entry.minor };
  }
}

/**
 * One member: header, NUL-terminated name, data. Members start on a 4-byte boundary, and the
 * name is padded so the data does too (the padding counts from the start of the header).
 */
function encodeMember(m: Member, name: string): Buffer[] {
  const nameBytes = Buffer.from(`${name}\0`);
  const header = [
    '070701',
    hex8(m.ino),
    hex8(m.mode),
    hex8(0), // uid
    hex8(0), // gid
    hex8(m.nlink),
    hex8(0), // mtime
    hex8(m.data.length),
    hex8(0), // devmajor
    hex8(0), // devminor
    hex8(m.rdevMajor),
    hex8(m.rdevMinor),
    hex8(nameBytes.length),
    hex8(0), // check (only used by the "crc" variant)
  ].join('');
  return [
    Buffer.from(header, 'latin1'),
    nameBytes,
    padding(HEADER_LENGTH + nameBytes.length),
    Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength),
    padding(m.data.length),
  ];
}

function hex8(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`cpio field out of range: ${n}`);
  return n.toString(16).padStart(8, '0');
}

/** Zero bytes that bring `length` up to a multiple of 4. */
function padding(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}
