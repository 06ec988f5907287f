/**
 * Freezing a volume's current data into a shared base layer, so linked clones can build on it
 * in O(1): the volume's file becomes the layer (renamed, never copied) and the volume continues
 * as a fresh copy-on-write overlay on top of it, under its old path. A running VM keeps running:
 * QEMU, which holds the old file open, is switched onto the new overlay with `blockdev-snapshot`
 * while the vCPUs are paused, so every disk of the VM is frozen at the same instant.
 */
import { rename, rm } from 'node:fs/promises';
import { ownForVm, shareReadOnly } from '../confine/own-for-vm.js';
import type { VmOwner } from '../confine/vm-owner.js';
import { run } from '../host/exec.js';
import { topNode } from '../qemu/qmp-nodes.js';
import type { QmpClient } from '../qemu/qmp-client.js';
import { EmptyReturnSchema } from '../qemu/qmp-messages.js';

/** One volume to freeze: its file, size and the path its layer gets. */
export interface FreezeTarget {
  readonly deviceId: string;
  readonly path: string;
  readonly layerPath: string;
  readonly sizeBytes: number;
}

/**
 * Freezes `targets` (qcow2 files of one VM). With `qmp`, the VM's QEMU is switched onto the new
 * overlays atomically (one transaction, vCPUs paused around it); `owner` is the user that QEMU
 * runs as (undefined: the daemon's), which the overlays are handed to before QEMU opens them.
 * The layers end up readable by every VM and writable by none, since linked clones read them
 * too. On failure, every file is put back as it was.
 */
export async function freezeIntoLayers(targets: readonly FreezeTarget[], qmp: QmpClient | undefined, owner: VmOwner | undefined): Promise<void> {
  const done: FreezeTarget[] = [];
  const nodes: string[] = [];
  let paused = false;
  try {
    if (qmp) {
      if ((await qmp.queryStatus()).running) {
        await qmp.stop();
        paused = true;
      }
    }
    for (const t of targets) {
      await rename(t.path, t.layerPath);
      done.push(t);
      // -u: the layer is held open (and locked) by the running QEMU; the size is given, so qemu-img need not open it.
      await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-u', '-b', t.layerPath, '-F', 'qcow2', t.path, String(t.sizeBytes)], { timeoutMs: 30_000 });
      await ownForVm(t.path, owner);
    }
    if (qmp) {
      const actions: { type: string; data: { node: string; overlay: string } }[] = [];
      for (const t of targets) {
        const node = `${t.deviceId}-o${Date.now().toString(36).slice(-4)}`;
        await qmp.execute('blockdev-add', { driver: 'qcow2', 'node-name': node, file: { driver: 'file', filename: t.path }, backing: null }, EmptyReturnSchema);
        nodes.push(node);
        actions.push({ type: 'blockdev-snapshot', data: { node: await topNode(qmp, t.deviceId), overlay: node } });
      }
      await qmp.execute('transaction', { actions }, EmptyReturnSchema);
    }
  } catch (e) {
    for (const n of nodes) await qmp?.execute('blockdev-del', { 'node-name': n }, EmptyReturnSchema).catch(() => undefined);
    for (const t of done.reverse()) {
      await rm(t.path, { force: true });
      await rename(t.layerPath, t.path);
    }
    throw e;
  } finally {
    if (paused) await qmp?.cont().catch(() => undefined);
  }
  // Only now: until the switch QEMU wrote to them. It keeps its descriptors, and may reopen
  // them read-only, which 0644 allows. Best effort: every start of a VM on a layer shares it again.
  for (const t of targets) await shareReadOnly(t.layerPath).catch(() => undefined);
}
