/** Recognising ISO 9660 (CD-ROM) images, which qemu-img reports as plain raw images. */
import { open } from 'node:fs/promises';

/**
 * ISO 9660 puts its first volume descriptor at byte 0x8000 (after 16 sectors of 2 KiB left to
 * the system area): a type byte, then the standard identifier `CD001`.
 */
const identifierOffset = 0x8001;
const identifier = Buffer.from('CD001', 'latin1');

/** Reports whether the file at `path` is an ISO 9660 image. Throws when it cannot be read. */
export async function isIso9660(path: string): Promise<boolean> {
  const file = await open(path, 'r');
  try {
    const buf = Buffer.alloc(identifier.length);
    const { bytesRead } = await file.read(buf, 0, buf.length, identifierOffset);
    return bytesRead === buf.length && buf.equals(identifier);
  } finally {
    await file.close();
  }
}
