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
const TRAILER = 'TRAILER!!!';

/**
 * Encodes `entries` (in the given order: parents must come before their children, because the
 * kernel creates each member as it reads it) into one newc archive, including the trailer.
 * Every member is owned by root with mtime 0 so equal inputs give equal archives.
 */
export function encodeCpioNewc(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  const push = (b: Buffer): void => {
    parts.push(b);
    offset += b.length;
  };
  let ino = 1;
  for (const entry of entries) {
    const { mode, data, rdevMajor, rdevMinor } = describe(entry);
    const name = entry.path.replace(/^\/+/, '');
    if (name === '' || name.includes('\0')) throw new Error(`invalid cpio member name ${JSON.stringify(entry.path)}`);
    pushMember(push, () => offset, { ino: ino++, mode, nlink: entry.kind === 'directory' ? 2 : 1, rdevMajor, rdevMinor }, name, data);
  }
  pushMember(push, () => offset, { ino: 0, mode: 0, nlink: 1, rdevMajor: 0, rdevMinor: 0 }, TRAILER, new Uint8Array());
  return Buffer.concat(parts);
}

interface HeaderFields {
  readonly ino: number;
  readonly mode: number;
  readonly nlink: number;
  readonly rdevMajor: number;
  readonly rdevMinor: number;
}

function describe(entry: CpioEntry): { mode: number; data: Uint8Array; rdevMajor: number; rdevMinor: number } {
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

function pushMember(
  push: (b: Buffer) => void,
  offset: () => number,
  fields: HeaderFields,
  name: string,
  data: Uint8Array,
): void {
  const nameBytes = Buffer.from(`${name}\0`);
  const header = [
    '070701',
    hex8(fields.ino),
    hex8(fields.mode),
    hex8(0), // uid
    hex8(0), // gid
    hex8(fields.nlink),
    hex8(0), // mtime
    hex8(data.length),
    hex8(0), // devmajor
    hex8(0), // devminor
    hex8(fields.rdevMajor),
    hex8(fields.rdevMinor),
    hex8(nameBytes.length),
    hex8(0), // check (unused by newc)
  ].join('');
  push(Buffer.from(header, 'latin1'));
  push(nameBytes);
  // The name is padded so the data starts on a 4-byte boundary (the 110-byte header included),
  // and the data is padded so the next header does too.
  push(padding(offset()));
  push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  push(padding(offset()));
}

function hex8(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`cpio field out of range: ${n}`);
  return n.toString(16).padStart(8, '0');
}

function padding(offset: number): Buffer {
  return Buffer.alloc((4 - (offset % 4)) % 4);
}
