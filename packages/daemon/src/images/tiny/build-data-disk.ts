/**
 * Building the tiny guest's root disk: a small ext4 file system, made from a staging directory
 * by `mke2fs -d` (no loop mount, so no root or /dev/loop needed), converted to qcow2 so VMs can
 * put copy-on-write overlays on top of it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../host/exec.js';

/** Virtual size of the disk. Small: it holds a README and whatever tests write to /data. */
export const DATA_DISK_SIZE = '64M';

const README = `This is the root disk of a herd "tiny" guest, mounted at /data.
Files written here are kept in the VM's qcow2 overlay and survive reboots.
`;

/**
 * Writes the qcow2 disk to `outFile`, using `scratchDir` (which must exist and be empty) for the
 * staging tree and the intermediate raw image.
 */
export async function buildDataDisk(outFile: string, scratchDir: string): Promise<void> {
  const staging = join(scratchDir, 'root');
  const raw = join(scratchDir, 'disk.raw');
  await mkdir(staging);
  await writeFile(join(staging, 'README'), README);
  await run('mke2fs', ['-q', '-t', 'ext4', '-L', 'herd-data', '-d', staging, '-F', raw, DATA_DISK_SIZE]);
  await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, outFile]);
}
