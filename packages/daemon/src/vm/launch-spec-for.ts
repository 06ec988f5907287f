/** Turns a VM record and its image into what QEMU is launched with. Pure. */
import type { LaunchSpec } from '../qemu/launch-spec.js';
import type { ImageRow, VmRow } from '../store/schema.js';
import type { DataPaths } from '../paths.js';

/** The launch spec of `vm` on this host. */
export function launchSpecFor(vm: VmRow, image: ImageRow, paths: DataPaths, accel: 'kvm' | 'tcg', startPaused: boolean): LaunchSpec {
  const boot: LaunchSpec['boot'] =
    image.kind === 'kernel' && image.kernel_path
      ? {
          kind: 'kernel',
          kernel: image.kernel_path,
          ...(image.initrd_path ? { initrd: image.initrd_path } : {}),
          cmdline: [image.kernel_cmdline ?? '', `herd.hostname=${vm.name}`, vm.kernel_cmdline ?? ''].filter(Boolean).join(' '),
        }
      : { kind: 'firmware' };
  return {
    uuid: vm.id,
    name: vm.name,
    accel,
    cpus: vm.cpus,
    memoryMiB: vm.memory_mib,
    runDir: paths.runDir(vm.id),
    consoleLog: paths.consoleLog(vm.id),
    boot,
    disks: [{ id: 'root', path: paths.rootDisk(vm.id), format: 'qcow2' }],
    startPaused,
    watchdog: vm.watchdog,
    portForwards: JSON.parse(vm.port_forwards) as { hostPort: number; guestPort: number }[],
  };
}
