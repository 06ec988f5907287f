/** The API form of VMs: the row plus the names of its image, disks and cdrom. */
import type { Vm, VmDisk } from '@herd/api';
import type { ImageRepo } from '../images/image-repo.js';
import type { PoolRepo } from '../pools/pool-repo.js';
import { deviceId } from '../storage/volume-disk.js';
import type { VolumeRepo } from '../volumes/volume-repo.js';
import type { NicRow, VmRow, VolumeRow } from '../store/schema.js';
import type { NetworkRepo } from '../networks/network-repo.js';
import { nicDeviceId } from '../networks/network-names.js';
import type { NicRepo } from '../networks/nic-repo.js';
import type { SecurityGroupRepo } from '../networks/security-group-repo.js';
import { toApiVm } from './to-api-vm.js';

/** Turns VM rows into API objects. One per daemon. */
export class VmView {
  readonly #images: ImageRepo;
  readonly #volumes: VolumeRepo;
  readonly #pools: PoolRepo;
  readonly #net: { nics: NicRepo; networks: NetworkRepo; groups: SecurityGroupRepo };

  constructor(images: ImageRepo, volumes: VolumeRepo, pools: PoolRepo, net: { nics: NicRepo; networks: NetworkRepo; groups: SecurityGroupRepo }) {
    this.#images = images;
    this.#volumes = volumes;
    this.#pools = pools;
    this.#net = net;
  }

  /** One VM. */
  async one(row: VmRow): Promise<Vm> {
    return (await this.many([row]))[0]!;
  }

  /** Many VMs, with one read of images, pools and volumes for all of them. */
  async many(rows: readonly VmRow[]): Promise<Vm[]> {
    const images = new Map((await this.#images.list()).map((i) => [i.id, i.name]));
    const pools = new Map((await this.#pools.list()).map((p) => [p.id, p.name]));
    const byVm = new Map<string, VolumeRow[]>();
    const vols = rows.length === 1 ? await this.#volumes.ofVm(rows[0]!.id) : await this.#volumes.list();
    for (const v of vols) if (v.vm_id) byVm.set(v.vm_id, [...(byVm.get(v.vm_id) ?? []), v]);
    const networks = new Map((await this.#net.networks.list()).map((n) => [n.id, n.name]));
    const groups = new Map((await this.#net.groups.list()).map((g) => [g.id, g.name]));
    const nicsByVm = new Map<string, NicRow[]>();
    for (const n of rows.length === 1 ? await this.#net.nics.ofVm(rows[0]!.id) : await this.#net.nics.all()) nicsByVm.set(n.vm_id, [...(nicsByVm.get(n.vm_id) ?? []), n]);
    return rows.map((r) => {
      const mine = (byVm.get(r.id) ?? []).sort((a, b) => rank(a) - rank(b) || a.attach_order - b.attach_order);
      const disks: VmDisk[] = mine.map((v) => ({
        volume: v.name,
        pool: pools.get(v.pool_id) ?? v.pool_id,
        format: v.format,
        sizeBytes: Number(v.size_bytes),
        role: v.role === 'root' ? 'root' : 'data',
        device: deviceId(v),
      }));
      const cdrom = r.cdrom_image_id ? (images.get(r.cdrom_image_id) ?? r.cdrom_image_id) : null;
      const nics = (nicsByVm.get(r.id) ?? [])
        .sort((a, b) => a.position - b.position)
        .map((n) => ({
          network: networks.get(n.network_id) ?? n.network_id,
          device: nicDeviceId(n.id),
          mac: n.mac,
          ip: n.ip,
          securityGroups: (JSON.parse(n.security_groups) as string[]).map((g) => groups.get(g) ?? g),
        }));
      return toApiVm(r, images.get(r.image_id) ?? r.image_id, { disks, cdrom, nics });
    });
  }
}

function rank(v: VolumeRow): number {
  return v.role === 'root' ? 0 : 1;
}
