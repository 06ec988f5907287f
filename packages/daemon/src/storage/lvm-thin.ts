/**
 * LVM thin provisioning, the storage under `lvm-thin` pools: a thin pool LV in a volume group
 * holds each volume as a thin LV, and a linked clone is a thin snapshot (copy-on-write inside
 * the pool, O(1) in the size of its origin). LV names are derived from volume ids and every LV
 * herd makes carries the `herd` tag, so making one twice fails safe and an orphan sweep never
 * mistakes an operator's LV for herd's.
 *
 * Argv builders and `lvs` report parsers are pure; the wrappers run them through host/exec.
 * The wrappers need root and a kernel with the thin-pool target: check with `probeLvmThin()`.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { formatSize } from '@herd/api';
import { ExecError, run, type ExecResult } from '../host/exec.js';

/** The tag on every LV herd makes. */
export const HERD_LV_TAG = 'herd';

/** Prefix of the LV names herd derives from volume ids. */
const LV_PREFIX = 'herd-';

/** One LVM command: the program and its arguments. */
export interface LvmCommand {
  readonly command: 'lvs' | 'lvcreate' | 'lvchange' | 'lvextend' | 'lvremove';
  readonly args: readonly string[];
}

// --- names ---------------------------------------------------------------------------------

const LVM_NAME = /^[A-Za-z0-9+_.-]+$/;
/** Substrings LVM keeps for the hidden LVs it makes inside pools, mirrors and caches (lvm(8), VALID NAMES). */
const RESERVED_LV_PARTS = ['_cdata', '_cmeta', '_corig', '_iorig', '_mimage', '_mlog', '_pmspare', '_rimage', '_rmeta', '_tdata', '_tmeta', '_vdata', '_vorigin', '_wcorig'];

/** Explains why `name` cannot be a volume group name, or returns undefined when it can. Pure. */
export function vgNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'a volume group name cannot be empty';
  if (name.length > 127) return `volume group name '${name.slice(0, 20)}...' is ${name.length} characters long; at most 127 are allowed`;
  if (!LVM_NAME.test(name)) return `'${name}' is not a valid volume group name: use letters, digits and + _ . -`;
  if (name.startsWith('-')) return `volume group name '${name}' cannot start with '-'`;
  if (name === '.' || name === '..') return `'${name}' is reserved and cannot name a volume group`;
  return undefined;
}

/** Explains why `name` cannot be a logical volume (or thin pool) name, or returns undefined when it can. Pure. */
export function lvNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'a logical volume name cannot be empty';
  if (name.length > 127) return `logical volume name '${name.slice(0, 20)}...' is ${name.length} characters long; at most 127 are allowed`;
  if (!LVM_NAME.test(name)) return `'${name}' is not a valid logical volume name: use letters, digits and + _ . -`;
  // A leading '-' would also be read as an option by the LVM tools.
  if (name.startsWith('-')) return `logical volume name '${name}' cannot start with '-'`;
  if (['.', '..', 'snapshot', 'pvmove'].includes(name)) return `'${name}' is reserved by LVM and cannot name a logical volume`;
  const part = RESERVED_LV_PARTS.find((p) => name.includes(p));
  if (part) return `logical volume name '${name}' contains '${part}', which LVM keeps for its internal volumes`;
  return undefined;
}

function checkVg(vg: string): string {
  const problem = vgNameProblem(vg);
  if (problem) throw new RangeError(problem);
  return vg;
}

function checkLv(lv: string): string {
  const problem = lvNameProblem(lv);
  if (problem) throw new RangeError(problem);
  return lv;
}

/** `VG/LV`, the way LVM commands name an LV; throws RangeError when either name is invalid. */
function lvRef(vg: string, lv: string): string {
  return `${checkVg(vg)}/${checkLv(lv)}`;
}

/** The LV name of a volume (`herd-<volume id>`). Throws RangeError when the id cannot form a valid LV name. Pure. */
export function lvNameForVolume(volumeId: string): string {
  return checkLv(`${LV_PREFIX}${volumeId}`);
}

/** The volume id an LV name was derived from, or undefined when herd did not name it. Pure. */
export function volumeIdOfLvName(lvName: string): string | undefined {
  return lvName.startsWith(LV_PREFIX) && lvName.length > LV_PREFIX.length ? lvName.slice(LV_PREFIX.length) : undefined;
}

/** The block device of an active LV, as LVM links it (never the /dev/mapper name, whose escaping LVM may change). Pure. */
export function thinVolumePath(vg: string, lv: string): string {
  return `/dev/${lvRef(vg, lv)}`;
}

// --- sizes ---------------------------------------------------------------------------------

/** LVM takes byte sizes only in whole 512-byte sectors ("Size is not a multiple of 512"). */
function sectorBytes(sizeBytes: number): string {
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0) throw new RangeError(`size must be a positive whole number of bytes, not ${sizeBytes}`);
  return `${Math.ceil(sizeBytes / 512) * 512}b`;
}

/** What growing an LV to a requested size comes to. */
export type ResizePlan = { readonly action: 'unchanged' } | { readonly action: 'extend'; readonly sizeBytes: number } | { readonly action: 'refuse'; readonly reason: string };

/**
 * Decides how to bring an LV of `currentBytes` to `requestedBytes`. LVM rounds sizes up to whole
 * extents, so the request is compared after the same rounding: asking again for the size a volume
 * was made with is a no-op, not a shrink. Shrinking is refused, since it would cut off the
 * guest's data at the end of the disk. Pure.
 */
export function planResize(currentBytes: number, extentBytes: number, requestedBytes: number, what = 'the volume'): ResizePlan {
  if (!Number.isSafeInteger(requestedBytes) || requestedBytes <= 0) throw new RangeError(`size must be a positive whole number of bytes, not ${requestedBytes}`);
  const target = Math.ceil(requestedBytes / extentBytes) * extentBytes;
  if (target === currentBytes) return { action: 'unchanged' };
  if (target < currentBytes) {
    return { action: 'refuse', reason: `refusing to shrink ${what} from ${formatSize(currentBytes)} to ${formatSize(target)}: the guest's data past the new end would be lost` };
  }
  return { action: 'extend', sizeBytes: target };
}

// --- argv builders (pure) --------------------------------------------------------------------

/** `lvs` options shared by every report herd reads: JSON, sizes in plain bytes. */
const REPORT = ['--reportformat', 'json', '--units', 'b', '--nosuffix'] as const;

/** Reads a thin pool's size and how full its data and metadata are. Pure. */
export function thinPoolReportArgv(vg: string, thinPool: string): LvmCommand {
  return { command: 'lvs', args: [...REPORT, '-o', 'lv_name,lv_size,data_percent,metadata_percent,lv_attr', lvRef(vg, thinPool)] };
}

/** Makes a thin LV of `sizeBytes` (rounded up to a sector) in a thin pool, tagged as herd's. Pure. */
export function createThinVolumeArgv(vg: string, thinPool: string, lvName: string, sizeBytes: number): LvmCommand {
  // -y: answer yes if LVM finds an old filesystem signature where the new LV lands.
  return { command: 'lvcreate', args: ['-V', sectorBytes(sizeBytes), '-T', lvRef(vg, thinPool), '-n', checkLv(lvName), '-y', '--addtag', HERD_LV_TAG] };
}

/**
 * Makes a thin snapshot `newLv` of thin LV `sourceLv`. Pure. LVM flags thin snapshots "skip
 * activation" by default, so `-kn` clears that (the clone is a disk to run, not a backup);
 * `-prw` makes it writable even when its origin is a read-only base.
 */
export function createThinSnapshotArgv(vg: string, sourceLv: string, newLv: string): LvmCommand {
  return { command: 'lvcreate', args: ['-s', '-n', checkLv(newLv), lvRef(vg, sourceLv), '-kn', '-prw', '-y', '--addtag', HERD_LV_TAG] };
}

/** Activates an LV, so its block device exists. Idempotent. Pure. */
export function activateArgv(vg: string, lv: string): LvmCommand {
  return { command: 'lvchange', args: ['-ay', lvRef(vg, lv)] };
}

/** Reads an LV's size and its volume group's extent size. Pure. */
export function lvSizeReportArgv(vg: string, lv: string): LvmCommand {
  return { command: 'lvs', args: [...REPORT, '-o', 'lv_name,lv_size,vg_extent_size', lvRef(vg, lv)] };
}

/** Grows an LV to exactly `sizeBytes` (rounded up to a sector). Pure. */
export function extendArgv(vg: string, lv: string, sizeBytes: number): LvmCommand {
  return { command: 'lvextend', args: ['-L', sectorBytes(sizeBytes), lvRef(vg, lv)] };
}

/** Removes an LV without asking (active or not). Pure. */
export function removeArgv(vg: string, lv: string): LvmCommand {
  return { command: 'lvremove', args: ['-y', lvRef(vg, lv)] };
}

/** Lists the visible LVs of a volume group with their tags, pool and origin. Pure. */
export function listVolumesArgv(vg: string): LvmCommand {
  return { command: 'lvs', args: [...REPORT, '-o', 'lv_name,lv_size,data_percent,lv_attr,lv_tags,pool_lv,origin', checkVg(vg)] };
}

// --- report parsers (pure) -------------------------------------------------------------------

// `--reportformat json` prints every field as a string, "" when it does not apply (a percentage
// of an inactive LV, an origin of an LV that is not a snapshot).
const PoolRow = Type.Object({ lv_name: Type.String(), lv_size: Type.String(), data_percent: Type.String(), metadata_percent: Type.String(), lv_attr: Type.String() });
const SizeRow = Type.Object({ lv_name: Type.String(), lv_size: Type.String(), vg_extent_size: Type.String() });
const VolumeRow = Type.Object({
  lv_name: Type.String(),
  lv_size: Type.String(),
  data_percent: Type.String(),
  lv_attr: Type.String(),
  lv_tags: Type.String(),
  pool_lv: Type.String(),
  origin: Type.String(),
});

/** The `lv` rows of an `lvs --reportformat json` report, each checked against `row`. */
function lvRows<T extends TSchema>(stdout: string, row: T): Static<T>[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new Error(`lvs printed something that is not a JSON report: ${stdout.trim().slice(0, 200)}`);
  }
  const Report = Type.Object({ report: Type.Array(Type.Object({ lv: Type.Array(row) })) });
  if (!Value.Check(Report, parsed)) throw new Error('lvs printed a report without the expected fields');
  return parsed.report.flatMap((r) => r.lv);
}

function bytes(value: string, field: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new Error(`lvs reported ${field} '${value}', not a byte count`);
  return n;
}

/** A percentage, or null when LVM has none to give (the LV is not active). */
function percent(value: string, field: string): number | null {
  if (value === '') return null;
  if (!/^\d+(\.\d+)?$/.test(value)) throw new Error(`lvs reported ${field} '${value}', not a percentage`);
  return Number(value);
}

/** Space in a thin pool, bytes. */
export interface ThinPoolUsage {
  /** Size of the pool's data area: what its thin volumes can fill between them. */
  readonly capacityBytes: number;
  /** Bytes of it thin volumes and snapshots have written (to LVM's 0.01 % precision). */
  readonly usedBytes: number;
  /** How full the pool's metadata is; at 100 % the pool turns read-only, however much data space is left. */
  readonly metadataUsedPercent: number;
}

/** Reads {@link thinPoolReportArgv}'s output. Throws a reason when the LV is not a thin pool or is not active. Pure. */
export function parseThinPoolReport(stdout: string, vg: string, thinPool: string): ThinPoolUsage {
  const row = lvRows(stdout, PoolRow).find((r) => r.lv_name === thinPool);
  if (!row) throw new Error(`thin pool ${vg}/${thinPool} does not exist`);
  // lv_attr: 1st character is the volume type ('t' thin pool), 5th the state ('a' active).
  if (row.lv_attr[0] !== 't') throw new Error(`${vg}/${thinPool} is not a thin pool (lv_attr ${row.lv_attr}); give the thin pool LV, made with lvcreate -T`);
  const capacityBytes = bytes(row.lv_size, 'lv_size');
  const data = percent(row.data_percent, 'data_percent');
  const meta = percent(row.metadata_percent, 'metadata_percent');
  if (data === null || meta === null || row.lv_attr[4] !== 'a') throw new Error(`thin pool ${vg}/${thinPool} is not active: lvchange -ay ${vg}/${thinPool}`);
  return { capacityBytes, usedBytes: Math.round((capacityBytes * data) / 100), metadataUsedPercent: meta };
}

/** An LV's size and its volume group's extent size, bytes. */
export interface LvSize {
  readonly sizeBytes: number;
  readonly extentBytes: number;
}

/** Reads {@link lvSizeReportArgv}'s output. Pure. */
export function parseLvSizeReport(stdout: string, vg: string, lv: string): LvSize {
  const row = lvRows(stdout, SizeRow).find((r) => r.lv_name === lv);
  if (!row) throw new Error(`logical volume ${vg}/${lv} does not exist`);
  return { sizeBytes: bytes(row.lv_size, 'lv_size'), extentBytes: bytes(row.vg_extent_size, 'vg_extent_size') };
}

/** A thin LV herd made. */
export interface HerdThinVolume {
  readonly lvName: string;
  /** The volume id its name was derived from; undefined when it carries the tag but not a herd name. */
  readonly volumeId: string | undefined;
  readonly thinPool: string;
  readonly sizeBytes: number;
  /** Bytes it has written to the pool; null while it is not active (LVM reports none then). */
  readonly usedBytes: number | null;
  /** The LV it is a thin snapshot of; undefined when it is not one, or its origin is gone. */
  readonly origin: string | undefined;
  readonly active: boolean;
}

/** Reads {@link listVolumesArgv}'s output: the LVs tagged as herd's, in `thinPool` when given. Pure. */
export function parseHerdVolumes(stdout: string, thinPool?: string): HerdThinVolume[] {
  return lvRows(stdout, VolumeRow)
    .filter((r) => r.lv_tags.split(',').includes(HERD_LV_TAG) && r.pool_lv !== '' && (thinPool === undefined || r.pool_lv === thinPool))
    .map((r) => {
      const sizeBytes = bytes(r.lv_size, 'lv_size');
      const used = percent(r.data_percent, 'data_percent');
      return {
        lvName: r.lv_name,
        volumeId: volumeIdOfLvName(r.lv_name),
        thinPool: r.pool_lv,
        sizeBytes,
        usedBytes: used === null ? null : Math.round((sizeBytes * used) / 100),
        origin: r.origin || undefined,
        active: r.lv_attr[4] === 'a',
      };
    });
}

/** Reports whether an LVM command failed because the LV it names does not exist. Pure. */
export function isLvMissing(stderr: string): boolean {
  return /Failed to find logical volume/.test(stderr);
}

// --- wrappers ------------------------------------------------------------------------------

/**
 * Runs an LVM command. LC_ALL=C keeps the messages herd matches in English;
 * LVM_SUPPRESS_FD_WARNINGS stops LVM complaining about descriptors a supervisor left open,
 * which would otherwise bury the real error in ExecError's message.
 */
function lvm(c: LvmCommand, options: { readonly timeoutMs?: number; readonly allowFailure?: boolean } = {}): Promise<ExecResult> {
  return run(c.command, c.args, {
    timeoutMs: options.timeoutMs ?? 60_000,
    allowFailure: options.allowFailure ?? false,
    env: { ...process.env, LC_ALL: 'C', LVM_SUPPRESS_FD_WARNINGS: '1' },
  });
}

/** Reads the space of thin pool `vg/thinPool`. May be called at any time; throws when the pool is missing, not a thin pool or not active. */
export async function thinPoolUsage(vg: string, thinPool: string): Promise<ThinPoolUsage> {
  const r = await lvm(thinPoolReportArgv(vg, thinPool), { timeoutMs: 30_000 });
  return parseThinPoolReport(r.stdout, vg, thinPool);
}

/**
 * Makes thin LV `lvName` of at least `sizeBytes` (LVM rounds up to whole extents) in
 * `vg/thinPool`, active and tagged as herd's, and returns its device path. Throws when an LV of
 * that name exists already, so with names from {@link lvNameForVolume} a repeated call fails
 * safe instead of making a second disk.
 */
export async function createThinVolume(vg: string, thinPool: string, lvName: string, sizeBytes: number): Promise<string> {
  await lvm(createThinVolumeArgv(vg, thinPool, lvName, sizeBytes));
  return thinVolumePath(vg, lvName);
}

/**
 * Makes `newLv`, a writable thin snapshot of `sourceLv` (a linked clone, O(1) in its size),
 * activates it and returns its device path. The source may be in use by a running VM; LVM
 * suspends it for the instant the snapshot takes. Throws when `newLv` exists already.
 */
export async function createThinSnapshot(vg: string, sourceLv: string, newLv: string): Promise<string> {
  await lvm(createThinSnapshotArgv(vg, sourceLv, newLv));
  await lvm(activateArgv(vg, newLv));
  return thinVolumePath(vg, newLv);
}

/**
 * Grows thin LV `vg/lv` to at least `sizeBytes`. Idempotent: a size it already has (after LVM's
 * rounding to extents) changes nothing. Throws when `sizeBytes` is smaller than the LV, never
 * shrinking it. A running VM sees the new size only once QEMU is told (block_resize).
 */
export async function resizeThinVolume(vg: string, lv: string, sizeBytes: number): Promise<void> {
  const current = parseLvSizeReport((await lvm(lvSizeReportArgv(vg, lv), { timeoutMs: 30_000 })).stdout, vg, lv);
  const plan = planResize(current.sizeBytes, current.extentBytes, sizeBytes, `${vg}/${lv}`);
  if (plan.action === 'refuse') throw new RangeError(plan.reason);
  if (plan.action === 'extend') await lvm(extendArgv(vg, lv, plan.sizeBytes));
}

/**
 * Removes thin LV `vg/lv`. Idempotent: an LV that is already gone is success. Throws when the
 * volume group is missing (the pool's storage is gone, which is not the same as the volume being
 * removed) or the LV is open (a VM still uses it). Its thin snapshots stay usable.
 */
export async function removeThinVolume(vg: string, lv: string): Promise<void> {
  const c = removeArgv(vg, lv);
  const r = await lvm(c, { allowFailure: true });
  if (r.code !== 0 && !isLvMissing(r.stderr)) throw new ExecError(c.command, c.args, r);
}

/**
 * Lists the thin LVs in `vg` that carry herd's tag, only those in `thinPool` when given (one
 * volume group may hold the thin pools of several herd pools). For orphan sweeps: an LV here
 * that no volume record names was left by a crash. May be called at any time.
 */
export async function listHerdVolumes(vg: string, thinPool?: string): Promise<HerdThinVolume[]> {
  const r = await lvm(listVolumesArgv(vg), { timeoutMs: 30_000 });
  return parseHerdVolumes(r.stdout, thinPool);
}
