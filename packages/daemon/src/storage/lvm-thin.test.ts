import { open, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../host/exec.js';
import { decideLvmThin, parseDmTargets, probeLvmThin } from './lvm-probe.js';
import type { LvmThinFacts } from './lvm-probe.js';
import {
  activateArgv,
  createThinSnapshot,
  createThinSnapshotArgv,
  createThinVolume,
  createThinVolumeArgv,
  extendArgv,
  isLvMissing,
  listHerdVolumes,
  listVolumesArgv,
  lvNameForVolume,
  lvNameProblem,
  lvSizeReportArgv,
  parseHerdVolumes,
  parseLvSizeReport,
  parseThinPoolReport,
  planResize,
  removeArgv,
  removeThinVolume,
  resizeThinVolume,
  thinPoolReportArgv,
  thinPoolUsage,
  thinVolumePath,
  vgNameProblem,
  volumeIdOfLvName,
} from './lvm-thin.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const id1 = '11111111-2222-4333-8444-555555555555';
const id2 = '66666666-7777-4888-9999-000000000000';

/** Wraps `lv` rows the way `lvs --reportformat json` prints them. */
const report = (...rows: string[]) => `  {\n      "report": [\n          {\n              "lv": [\n${rows.map((r) => `                  ${r}`).join(',\n')}\n              ]\n          }\n      ]\n  }\n`;

describe('LVM names', () => {
  it('derives LV names from volume ids and reads the id back', () => {
    expect(lvNameForVolume(id1)).toBe(`herd-${id1}`);
    expect(volumeIdOfLvName(`herd-${id1}`)).toBe(id1);
    expect(volumeIdOfLvName('root')).toBeUndefined();
    expect(volumeIdOfLvName('herd-')).toBeUndefined();
  });

  it('accepts what LVM accepts', () => {
    for (const name of ['pool', 'data_pool', 'a+b.c-d', 'x'.repeat(127), `herd-${id1}`]) expect(lvNameProblem(name)).toBeUndefined();
    for (const name of ['vg0', 'pve', '.x', 'x'.repeat(127)]) expect(vgNameProblem(name)).toBeUndefined();
  });

  it('rejects what LVM rejects, saying why', () => {
    const bad: [string, RegExp][] = [
      ['', /empty/],
      ['x'.repeat(128), /128 characters long; at most 127/],
      ['-rf', /cannot start with '-'/],
      ['a/b', /letters, digits and \+ _ \. -/],
      ['a b', /not a valid/],
      ['vm;rm', /not a valid/],
      ['é', /not a valid/],
      ['..', /reserved/],
      ['snapshot', /reserved/],
      ['pvmove', /reserved/],
      ['pool_tmeta', /contains '_tmeta'/],
      ['x_rimage_0', /contains '_rimage'/],
    ];
    for (const [name, why] of bad) expect(lvNameProblem(name), name).toMatch(why);
    expect(vgNameProblem('-vg')).toMatch(/cannot start with '-'/);
    expect(vgNameProblem('.')).toMatch(/reserved/);
    expect(vgNameProblem('vg/x')).toMatch(/not a valid/);
    expect(() => lvNameForVolume('../etc')).toThrow(RangeError);
    expect(() => lvNameForVolume('x'.repeat(123))).toThrow(/at most 127/);
  });

  it('names devices /dev/VG/LV', () => {
    expect(thinVolumePath('vg0', `herd-${id1}`)).toBe(`/dev/vg0/herd-${id1}`);
    expect(() => thinVolumePath('vg0', '../../sda')).toThrow(RangeError);
  });
});

describe('LVM argv builders', () => {
  const report = ['--reportformat', 'json', '--units', 'b', '--nosuffix'];

  it('reads a thin pool', () => {
    expect(thinPoolReportArgv('vg0', 'pool')).toEqual({ command: 'lvs', args: [...report, '-o', 'lv_name,lv_size,data_percent,metadata_percent,lv_attr', 'vg0/pool'] });
  });

  it('makes a tagged thin volume, in whole sectors', () => {
    expect(createThinVolumeArgv('vg0', 'pool', `herd-${id1}`, GiB)).toEqual({
      command: 'lvcreate',
      args: ['-V', '1073741824b', '-T', 'vg0/pool', '-n', `herd-${id1}`, '-y', '--addtag', 'herd'],
    });
    // LVM refuses byte sizes that are not whole sectors ("Size is not a multiple of 512").
    expect(createThinVolumeArgv('vg0', 'pool', 'v', 1000).args.slice(0, 2)).toEqual(['-V', '1024b']);
    expect(() => createThinVolumeArgv('vg0', 'pool', 'v', 0)).toThrow(RangeError);
    expect(() => createThinVolumeArgv('vg0', 'pool', 'v', 1.5)).toThrow(RangeError);
    expect(() => createThinVolumeArgv('vg0', 'pool', '-v', MiB)).toThrow(/cannot start with '-'/);
    expect(() => createThinVolumeArgv('vg0', '--help', 'v', MiB)).toThrow(RangeError);
  });

  it('makes a tagged, activatable, writable thin snapshot and activates it', () => {
    expect(createThinSnapshotArgv('vg0', `herd-${id1}`, `herd-${id2}`)).toEqual({
      command: 'lvcreate',
      args: ['-s', '-n', `herd-${id2}`, `vg0/herd-${id1}`, '-kn', '-prw', '-y', '--addtag', 'herd'],
    });
    expect(activateArgv('vg0', `herd-${id2}`)).toEqual({ command: 'lvchange', args: ['-ay', `vg0/herd-${id2}`] });
  });

  it('grows, measures, removes and lists', () => {
    expect(lvSizeReportArgv('vg0', 'v')).toEqual({ command: 'lvs', args: [...report, '-o', 'lv_name,lv_size,vg_extent_size', 'vg0/v'] });
    expect(extendArgv('vg0', 'v', 2 * GiB)).toEqual({ command: 'lvextend', args: ['-L', '2147483648b', 'vg0/v'] });
    expect(removeArgv('vg0', 'v')).toEqual({ command: 'lvremove', args: ['-y', 'vg0/v'] });
    expect(listVolumesArgv('vg0')).toEqual({ command: 'lvs', args: [...report, '-o', 'lv_name,lv_size,data_percent,lv_attr,lv_tags,pool_lv,origin', 'vg0'] });
    expect(() => listVolumesArgv('-a')).toThrow(RangeError);
  });
});

describe('planResize', () => {
  const extent = 4 * MiB;

  it('grows to whole extents', () => {
    expect(planResize(GiB, extent, 2 * GiB)).toEqual({ action: 'extend', sizeBytes: 2 * GiB });
    expect(planResize(GiB, extent, GiB + 1)).toEqual({ action: 'extend', sizeBytes: GiB + extent });
  });

  it('treats the size an LV already has, after rounding, as done', () => {
    expect(planResize(GiB, extent, GiB)).toEqual({ action: 'unchanged' });
    // made with 1 GiB - 1 MiB, LVM rounded it up to 1 GiB: asking again is not a shrink
    expect(planResize(GiB, extent, GiB - MiB)).toEqual({ action: 'unchanged' });
  });

  it('refuses to shrink, saying what would be lost', () => {
    expect(planResize(2 * GiB, extent, GiB, 'vg0/v')).toEqual({
      action: 'refuse',
      reason: "refusing to shrink vg0/v from 2 GiB to 1 GiB: the guest's data past the new end would be lost",
    });
    expect(() => planResize(GiB, extent, -1)).toThrow(RangeError);
  });
});

describe('lvs report parsers', () => {
  // Printed by lvs 2.03.16 (Debian 12) for an inactive pool: percentages are "" and the
  // state column of lv_attr is '-'.
  const inactive = report(
    `{"lv_name":"herd-${id1}", "lv_size":"1073741824", "data_percent":"", "lv_attr":"Vwi---tz--", "lv_tags":"herd", "pool_lv":"pool", "origin":""}`,
    `{"lv_name":"herd-${id2}", "lv_size":"1073741824", "data_percent":"", "lv_attr":"Vwi---tz--", "lv_tags":"herd", "pool_lv":"pool", "origin":"herd-${id1}"}`,
    `{"lv_name":"other", "lv_size":"104857600", "data_percent":"", "lv_attr":"Vwi---tz--", "lv_tags":"backup,nightly", "pool_lv":"pool", "origin":""}`,
    `{"lv_name":"pool", "lv_size":"838860800", "data_percent":"", "lv_attr":"twi---tz--", "lv_tags":"", "pool_lv":"", "origin":""}`,
  );
  // An active host: two thin pools in one VG, a running VM's disk (open: 'o'), a clone, an
  // operator's LV, a herd-tagged plain LV (not thin) and a tagged LV not named by herd.
  const active = report(
    `{"lv_name":"pool", "lv_size":"838860800", "data_percent":"12.50", "lv_attr":"twi-aotz--", "lv_tags":"", "pool_lv":"", "origin":""}`,
    `{"lv_name":"fast", "lv_size":"4294967296", "data_percent":"0.00", "lv_attr":"twi-aotz--", "lv_tags":"", "pool_lv":"", "origin":""}`,
    `{"lv_name":"herd-${id1}", "lv_size":"1073741824", "data_percent":"9.77", "lv_attr":"Vwi-aotz--", "lv_tags":"herd", "pool_lv":"pool", "origin":""}`,
    `{"lv_name":"herd-${id2}", "lv_size":"1073741824", "data_percent":"9.77", "lv_attr":"Vwi-a-tz--", "lv_tags":"herd,gold", "pool_lv":"pool", "origin":"herd-${id1}"}`,
    `{"lv_name":"herd-aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "lv_size":"8388608", "data_percent":"0.00", "lv_attr":"Vwi-a-tz--", "lv_tags":"herd", "pool_lv":"fast", "origin":""}`,
    `{"lv_name":"root", "lv_size":"21474836480", "data_percent":"", "lv_attr":"-wi-ao----", "lv_tags":"herd", "pool_lv":"", "origin":""}`,
    `{"lv_name":"hand-made", "lv_size":"4194304", "data_percent":"50.00", "lv_attr":"Vwi-a-tz--", "lv_tags":"herd", "pool_lv":"pool", "origin":""}`,
    `{"lv_name":"other", "lv_size":"104857600", "data_percent":"100.00", "lv_attr":"Vwi-a-tz--", "lv_tags":"backup,herdsman", "pool_lv":"pool", "origin":""}`,
  );

  it('reads a thin pool’s space', () => {
    expect(parseThinPoolReport(report(`{"lv_name":"pool", "lv_size":"838860800", "data_percent":"12.50", "metadata_percent":"10.94", "lv_attr":"twi-aotz--"}`), 'vg0', 'pool')).toEqual({
      capacityBytes: 838860800,
      usedBytes: 104857600,
      metadataUsedPercent: 10.94,
    });
  });

  it('says what to do when the pool is inactive, not a thin pool, or missing', () => {
    const row = (attr: string, data: string) => report(`{"lv_name":"pool", "lv_size":"838860800", "data_percent":"${data}", "metadata_percent":"${data}", "lv_attr":"${attr}"}`);
    expect(() => parseThinPoolReport(row('twi---tz--', ''), 'vg0', 'pool')).toThrow('thin pool vg0/pool is not active: lvchange -ay vg0/pool');
    expect(() => parseThinPoolReport(row('-wi-a-----', ''), 'vg0', 'pool')).toThrow(/vg0\/pool is not a thin pool \(lv_attr -wi-a-----\)/);
    expect(() => parseThinPoolReport(report(), 'vg0', 'pool')).toThrow('thin pool vg0/pool does not exist');
  });

  it('rejects output that is not the report asked for', () => {
    expect(() => parseThinPoolReport('  Volume group "vg0" not found\n', 'vg0', 'pool')).toThrow(/not a JSON report/);
    expect(() => parseThinPoolReport('{"report":[{"vg":[]}]}', 'vg0', 'pool')).toThrow(/without the expected fields/);
    const bad = report(`{"lv_name":"pool", "lv_size":"800m", "data_percent":"1", "metadata_percent":"1", "lv_attr":"twi-aotz--"}`);
    expect(() => parseThinPoolReport(bad, 'vg0', 'pool')).toThrow("lvs reported lv_size '800m', not a byte count");
  });

  it('reads an LV’s size and extent size', () => {
    const out = report(`{"lv_name":"v", "lv_size":"104857600", "vg_extent_size":"4194304"}`);
    expect(parseLvSizeReport(out, 'vg0', 'v')).toEqual({ sizeBytes: 104857600, extentBytes: 4194304 });
    expect(() => parseLvSizeReport(report(), 'vg0', 'v')).toThrow('logical volume vg0/v does not exist');
  });

  it('lists only thin LVs tagged herd, with ids, origins and use', () => {
    expect(parseHerdVolumes(inactive)).toEqual([
      { lvName: `herd-${id1}`, volumeId: id1, thinPool: 'pool', sizeBytes: GiB, usedBytes: null, origin: undefined, active: false },
      { lvName: `herd-${id2}`, volumeId: id2, thinPool: 'pool', sizeBytes: GiB, usedBytes: null, origin: `herd-${id1}`, active: false },
    ]);
    const all = parseHerdVolumes(active);
    expect(all.map((v) => v.lvName)).toEqual([`herd-${id1}`, `herd-${id2}`, 'herd-aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', 'hand-made']);
    expect(all[0]).toEqual({ lvName: `herd-${id1}`, volumeId: id1, thinPool: 'pool', sizeBytes: GiB, usedBytes: 104904576, origin: undefined, active: true });
    expect(all[3]).toMatchObject({ volumeId: undefined, usedBytes: 2097152 });
  });

  it('keeps to one thin pool when asked', () => {
    expect(parseHerdVolumes(active, 'fast').map((v) => v.volumeId)).toEqual(['aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee']);
    expect(parseHerdVolumes(active, 'nope')).toEqual([]);
  });

  it('recognizes LVM’s word for a missing LV, and only that', () => {
    expect(isLvMissing('  Failed to find logical volume "vg0/herd-x"\n')).toBe(true);
    expect(isLvMissing('  Volume group "vg0" not found\n  Cannot process volume group vg0\n')).toBe(false);
    expect(isLvMissing('  Logical volume vg0/herd-x in use.\n')).toBe(false);
  });
});

describe('decideLvmThin', () => {
  const ready: LvmThinFacts = { missingLvmTools: [], thinCheck: true, root: true, targets: { ok: true, names: ['thin-pool', 'thin', 'striped', 'linear'] } };

  it('finds lvm-thin usable with the tools, root and both thin targets', () => {
    expect(decideLvmThin(ready)).toEqual({ usable: true });
    expect(decideLvmThin({ ...ready, modprobe: { ok: true } })).toEqual({ usable: true });
  });

  it('explains each reason it is not', () => {
    const cases: [LvmThinFacts, string][] = [
      [{ missingLvmTools: ['lvcreate', 'lvs'], thinCheck: false, root: true }, 'lvm2 is not installed (lvcreate, lvs not found): apt install lvm2 thin-provisioning-tools'],
      [{ missingLvmTools: [], thinCheck: false, root: true }, 'thin-provisioning-tools is not installed (LVM runs thin_check before activating a thin pool): apt install thin-provisioning-tools'],
      [{ ...ready, root: false }, 'lvm-thin pools need the daemon to run as root (LVM creates device-mapper devices)'],
      [
        { ...ready, targets: { ok: true, names: ['striped', 'linear'] }, modprobe: { ok: false, detail: 'modprobe: FATAL: Module dm_thin_pool not found in directory /lib/modules/6.18.44' } },
        'the kernel has no device-mapper thin-pool or thin target (modprobe dm_thin_pool failed: modprobe: FATAL: Module dm_thin_pool not found in directory /lib/modules/6.18.44); lvm-thin pools cannot be used on this host',
      ],
      [
        { ...ready, targets: { ok: false, detail: '/dev/mapper/control: open failed: No such device' }, modprobe: { ok: false, detail: 'modprobe: FATAL: Module dm_thin_pool not found' } },
        'the kernel has no device-mapper (dmsetup targets: /dev/mapper/control: open failed: No such device; modprobe dm_thin_pool failed: modprobe: FATAL: Module dm_thin_pool not found); lvm-thin pools cannot be used on this host',
      ],
      [{ ...ready, targets: { ok: true, names: ['linear'] }, modprobe: { ok: true } }, 'the kernel has no device-mapper thin-pool or thin target (dm_thin_pool loaded, yet no target appeared); lvm-thin pools cannot be used on this host'],
    ];
    for (const [facts, reason] of cases) expect(decideLvmThin(facts)).toEqual({ usable: false, reason });
  });

  it('reads dmsetup targets', () => {
    const out = 'thin-pool        v1.23.0\nthin             v1.23.0\nstriped          v1.6.0\nlinear           v1.4.0\nerror            v1.6.0\n';
    expect(parseDmTargets(out)).toEqual(['thin-pool', 'thin', 'striped', 'linear', 'error']);
    expect(parseDmTargets('')).toEqual([]);
  });
});

const probe = await probeLvmThin();

describe('probeLvmThin on this host', () => {
  it(`answers with a reason an operator can act on (${probe.usable ? 'usable' : probe.reason})`, () => {
    if (!probe.usable) expect(probe.reason).toMatch(/apt install|device-mapper|root/);
  });
});

/**
 * A volume group on a loop device over a sparse file, with a thin pool in it; removed again
 * step by step, each step tried even when an earlier one failed.
 */
class LoopThinPool {
  readonly vg = `herdtest${process.pid}`;
  readonly pool = 'pool';
  readonly #file = join(tmpdir(), `${this.vg}.img`);
  #loop: string | undefined;
  #pv = false;
  #vgMade = false;

  async make(): Promise<void> {
    await writeFile(this.#file, '');
    await truncate(this.#file, GiB);
    this.#loop = (await run('losetup', ['--find', '--show', this.#file])).stdout.trim();
    await run('pvcreate', ['-y', this.#loop]);
    this.#pv = true;
    await run('vgcreate', [this.vg, this.#loop]);
    this.#vgMade = true;
    await run('lvcreate', ['-L', '800M', '-T', `${this.vg}/${this.pool}`]);
  }

  async destroy(): Promise<void> {
    const failures: string[] = [];
    const attempt = async (what: string, f: () => Promise<unknown>) => {
      try {
        await f();
      } catch (e) {
        failures.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
      }
    };
    if (this.#vgMade) await attempt('vgremove', () => run('vgremove', ['-f', this.vg]));
    if (this.#pv && this.#loop) await attempt('pvremove', () => run('pvremove', ['-y', this.#loop!]));
    if (this.#loop) await attempt('losetup -d', () => run('losetup', ['-d', this.#loop!]));
    await attempt('rm', () => rm(this.#file, { force: true }));
    if (failures.length) throw new Error(`test volume group ${this.vg} not fully removed: ${failures.join('; ')}`);
  }
}

/** Writes `bytes` of `fill` at the start of a block device and flushes it to the pool. */
async function fillStart(device: string, bytes: number, fill: number): Promise<void> {
  const fh = await open(device, 'r+');
  try {
    await fh.write(Buffer.alloc(bytes, fill), 0, bytes, 0);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function readStart(device: string, bytes: number): Promise<Buffer> {
  const fh = await open(device, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    await fh.read(buf, 0, bytes, 0);
    return buf;
  } finally {
    await fh.close();
  }
}

const skipped = probe.usable ? '' : ` (skipped: ${probe.reason})`;

describe(`lvm-thin against a thin pool on a loop device${skipped}`, () => {
  const t = new LoopThinPool();
  const origin = lvNameForVolume(id1);
  const clone = lvNameForVolume(id2);

  beforeAll(async () => {
    if (probe.usable) await t.make();
  });

  afterAll(async () => {
    if (probe.usable) await t.destroy();
  });

  it.skipIf(!probe.usable)(`makes a thin volume, writes to it and sees the pool fill`, async () => {
    const before = await thinPoolUsage(t.vg, t.pool);
    expect(before.capacityBytes).toBe(800 * MiB);
    const path = await createThinVolume(t.vg, t.pool, origin, 64 * MiB);
    expect(path).toBe(`/dev/${t.vg}/${origin}`);
    await fillStart(path, 16 * MiB, 0xab);
    const after = await thinPoolUsage(t.vg, t.pool);
    expect(after.usedBytes).toBeGreaterThanOrEqual(before.usedBytes + 15 * MiB);
    expect(after.metadataUsedPercent).toBeGreaterThan(0);
    // Names come from ids, so making the same volume twice fails instead of making a second disk.
    await expect(createThinVolume(t.vg, t.pool, origin, 64 * MiB)).rejects.toThrow(/already exists/);
  });

  it.skipIf(!probe.usable)(`clones it as an active, writable thin snapshot that is copy-on-write`, async () => {
    const path = await createThinSnapshot(t.vg, origin, clone);
    expect(path).toBe(`/dev/${t.vg}/${clone}`);
    expect((await readStart(path, MiB)).every((b) => b === 0xab)).toBe(true);
    await fillStart(path, MiB, 0xcd);
    expect((await readStart(`/dev/${t.vg}/${origin}`, MiB)).every((b) => b === 0xab)).toBe(true);
  });

  it.skipIf(!probe.usable)(`grows a volume, treats the same size as done and refuses to shrink`, async () => {
    await resizeThinVolume(t.vg, origin, 128 * MiB);
    await resizeThinVolume(t.vg, origin, 128 * MiB);
    await expect(resizeThinVolume(t.vg, origin, 64 * MiB)).rejects.toThrow(/refusing to shrink/);
    const vols = await listHerdVolumes(t.vg, t.pool);
    expect(vols.find((v) => v.lvName === origin)?.sizeBytes).toBe(128 * MiB);
  });

  it.skipIf(!probe.usable)(`lists herd's LVs only, with their origins`, async () => {
    await run('lvcreate', ['-V', '4M', '-T', `${t.vg}/${t.pool}`, '-n', 'operators']);
    const vols = await listHerdVolumes(t.vg, t.pool);
    expect(vols.map((v) => [v.volumeId, v.origin, v.active])).toEqual([
      [id1, undefined, true],
      [id2, origin, true],
    ]);
  });

  it.skipIf(!probe.usable)(`removes volumes, again without error, and gives the space back`, async () => {
    const full = await thinPoolUsage(t.vg, t.pool);
    await removeThinVolume(t.vg, origin);
    await removeThinVolume(t.vg, clone);
    await removeThinVolume(t.vg, clone);
    expect(await listHerdVolumes(t.vg)).toEqual([]);
    expect((await thinPoolUsage(t.vg, t.pool)).usedBytes).toBeLessThan(full.usedBytes);
    await expect(removeThinVolume(`${t.vg}nope`, origin)).rejects.toThrow(/not found/);
  });
});
