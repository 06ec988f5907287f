/** Turns a VM record and its image into what QEMU is launched with. Pure. */
import type { DiskSpec, LaunchSpec } from '../qemu/launch-spec.js';
import type { ImageRow, VmRow } from '../store/schema.js';
import type { DataPaths } from '../paths.js';

/** The launch spec of `vm` on this host, with its disks (root first) and the path of its cdrom ISO, if any. */
export function launchSpecFor(
  vm: VmRow,
  image: ImageRow,
  paths: DataPaths,
  accel: 'kvm' | 'tcg',
  startPaused: boolean,
  disks: readonly DiskSpec[],
  cdromPath?: string,
): LaunchSpec {
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
    disks,
    // An install ISO boots first (firmware boot); once the guest is installed, the operator
    // detaches it. A kernel-boot guest only sees it as a drive.
    ...(cdromPath ? { cdrom: { path: cdromPath, boot: boot.kind === 'firmware' } } : {}),
    startPaused,
    watchdog: vm.watchdog,
    portForwards: JSON.parse(vm.port_forwards) as { hostPort: number; guestPort: number }[],
    display: vm.display,
  };
}
