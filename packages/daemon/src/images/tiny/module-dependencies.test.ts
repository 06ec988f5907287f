import { describe, expect, it } from 'vitest';
import { canonicalModuleName, parseModulesBuiltin, parseModulesDep, resolveModuleLoadOrder } from './module-dependencies.js';

const MODULES_DEP = `kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko
kernel/lib/crc16.ko:
kernel/fs/mbcache.ko:
kernel/fs/jbd2/jbd2.ko:
kernel/drivers/virtio/virtio_pci.ko.xz: kernel/drivers/virtio/virtio.ko.xz kernel/drivers/virtio/virtio_ring.ko.xz
kernel/drivers/virtio/virtio.ko.xz:
kernel/drivers/virtio/virtio_ring.ko.xz:
kernel/drivers/block/virtio_blk.ko.xz: kernel/drivers/virtio/virtio.ko.xz kernel/drivers/virtio/virtio_ring.ko.xz
kernel/arch/x86/crypto/crc32c-intel.ko.zst:
`;

describe('kernel module resolution', () => {
  const table = parseModulesDep(MODULES_DEP);

  it('loads dependencies first and each module once', () => {
    const order = resolveModuleLoadOrder(table, ['virtio_pci', 'virtio_blk', 'ext4']).map((m) => m.name);
    expect(order).toEqual(['virtio', 'virtio_ring', 'virtio_pci', 'virtio_blk', 'crc16', 'mbcache', 'jbd2', 'ext4']);
  });

  it('keeps the file path, compressed suffix included', () => {
    expect(resolveModuleLoadOrder(table, ['crc32c-intel'])).toEqual([
      { name: 'crc32c_intel', relativePath: 'kernel/arch/x86/crypto/crc32c-intel.ko.zst' },
    ]);
  });

  it('skips built-in modules and rejects unknown ones', () => {
    const builtin = parseModulesBuiltin('kernel/fs/ext4/ext4.ko\nkernel/lib/crc16.ko\n');
    expect(resolveModuleLoadOrder(table, ['ext4'], builtin)).toEqual([]);
    expect(() => resolveModuleLoadOrder(table, ['e1000'])).toThrow(/e1000 is neither in modules.dep nor built in/);
  });

  it('canonicalises names the way modprobe does', () => {
    expect(canonicalModuleName('kernel/x/crc32c-intel.ko.zst')).toBe('crc32c_intel');
    expect(canonicalModuleName('virtio-pci')).toBe('virtio_pci');
  });
});
