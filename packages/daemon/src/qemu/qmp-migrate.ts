/**
 * Live migration of a VM's RAM and device state between two QEMUs over TCP, encrypted with TLS
 * when both are given credentials (pre-copy, with an optional switch to post-copy). The
 * destination is a QEMU launched for the same VM with `incoming: true` (`-incoming defer -S`):
 * it listens once {@link listenIncoming} is called, and its vCPUs start only when the caller
 * sends `cont`, after the source has reported `completed` and {@link awaitIncoming} has seen the
 * destination load the guest (and, for local disks, after the block mirrors have been finished,
 * see qmp-nbd-mirror.ts), so the guest never runs on both hosts.
 *
 * The migration is followed level-based: `query-migrate` is read every {@link POLL_MS} ms, and
 * the MIGRATION and MIGRATION_PASS events (capability `events`) only prompt an earlier read.
 * QEMU 7.2 reports a connection failure through the status, not through `migrate`'s reply:
 *
 *   -> {"execute": "migrate", "arguments": {"uri": "tcp:127.0.0.1:1"}}
 *   <- {"return": {}}
 *   -> {"execute": "query-migrate"}
 *   <- {"return": {"status": "failed", "error-desc": "Failed to connect to '127.0.0.1:1': Connection refused"}}
 *
 * and a destination QEMU whose incoming migration fails or is cancelled exits at once
 * ("load of migration failed: Invalid argument"): after a failure it must be launched again.
 */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import type { QmpClient } from './qmp-client.js';
import { QmpCommandError, QmpDisconnectedError } from './qmp-errors.js';
import { EmptyReturnSchema } from './qmp-messages.js';
import type { RunState } from './qmp-messages.js';
import { QmpWakeup } from './qmp-wakeup.js';

/** How a migration may behave; set on both QEMUs with {@link setMigrationOptions} before it starts. */
export interface MigrationOptions {
  /**
   * The longest pause of the guest the final pass may cause, in ms (`downtime-limit`, 0 to
   * 2,000,000): QEMU keeps copying dirty memory until what is left fits in this time.
   */
  readonly downtimeLimitMs?: number;
  /** Throttle the vCPUs while the guest dirties memory faster than it can be sent (`auto-converge`). */
  readonly autoConverge?: boolean;
  /** Allow switching to post-copy (`postcopy-ram`); QEMU requires it on the destination too. */
  readonly postcopy?: boolean;
  /** Cap on the transfer rate, in bytes/s (`max-bandwidth`); `Infinity`: none. */
  readonly maxBandwidthBytes?: number;
  /**
   * The id of TLS credentials (qmp-tls.ts) to encrypt the stream with (`tls-creds`): on the
   * source for the client endpoint, on the destination for the server. Missing: plain TCP.
   */
  readonly tlsCreds?: string;
  /**
   * On the source, the name the destination's certificate must be valid for (`tls-hostname`);
   * missing, QEMU checks the host of the migration URI.
   */
  readonly tlsHostname?: string;
}

/**
 * herd's choices where the caller has none. QEMU's own default caps a migration at 128 MiB/s,
 * which would take minutes for a large VM on a 10 GbE link; like libvirt, herd sends as fast as
 * the link allows and leaves capping to the operator. Auto-converge lets a busy guest converge
 * instead of migrating forever; it does nothing to a guest that converges by itself.
 */
export const DEFAULT_MIGRATION_OPTIONS: Required<Omit<MigrationOptions, 'tlsCreds' | 'tlsHostname'>> = {
  downtimeLimitMs: 300,
  autoConverge: true,
  postcopy: false,
  maxBandwidthBytes: Number.POSITIVE_INFINITY,
};

/** Where a destination listens. */
export interface IncomingAddress {
  readonly host: string;
  readonly port: number;
}

/** A migration's progress, read from `query-migrate` (RAM only; disks are mirrored separately). */
export interface MigrationProgress {
  /** QEMU's MigrationStatus: setup, active, postcopy-active, device, ... */
  readonly status: string;
  readonly transferredBytes: number;
  readonly remainingBytes: number;
  /** The guest's RAM size. */
  readonly totalBytes: number;
  /** Passes over the guest's memory so far (`dirty-sync-count`); the first one is under way at 1. */
  readonly dirtyPassCount: number;
  /** QEMU's measure of the throughput over the last period. */
  readonly bytesPerSecond: number;
}

/** A completed migration, as QEMU measured it on the source. */
export interface MigrationResult {
  /** From `migrate` until completion. */
  readonly totalMs: number;
  /** How long the guest was paused on the source for the final pass (in post-copy: until the switch); excludes the destination's `cont`. */
  readonly downtimeMs: number;
  /** Connecting and setting up before the first pass. */
  readonly setupMs: number;
  readonly transferredBytes: number;
  readonly dirtyPassCount?: number;
  /** Whether it switched to post-copy. */
  readonly postcopy: boolean;
}

/** Options for {@link migrate}. */
export interface MigrateOptions {
  /** Called with each reading of the progress, every {@link POLL_MS} ms or sooner. */
  readonly onProgress?: (progress: MigrationProgress) => void;
  /**
   * Aborting cancels the migration (`migrate_cancel`); the guest runs on on the source. Ignored
   * once post-copy has begun: the guest's newest memory is then on the destination only.
   */
  readonly signal?: AbortSignal;
  /**
   * Switch to post-copy once this many passes over memory are done and it has not converged (0:
   * as soon as the first pass is under way). Needs `postcopy` set on both QEMUs, and `onPostcopy`.
   */
  readonly postcopyAfterPasses?: number;
  /**
   * Called once when the source has switched to post-copy. The destination, started with `-S`,
   * then holds the guest but runs it only after `cont`, which this callback must send: until it
   * does, the guest runs nowhere.
   */
  readonly onPostcopy?: () => Promise<void> | void;
}

/** The migration ended with status `failed`; `qemuMessage` is QEMU's `error-desc`. */
export class MigrationFailedError extends Error {
  constructor(
    readonly qemuMessage: string,
    /** The source's run state afterwards: `running` if the guest runs on there. */
    readonly sourceState: RunState,
  ) {
    super(`live migration failed: ${qemuMessage}; ${afterwards(sourceState)}`);
    this.name = 'MigrationFailedError';
  }
}

/** The migration was cancelled (by the caller's signal or another QMP client). */
export class MigrationCancelledError extends Error {
  constructor(
    readonly sourceState: RunState,
    options?: ErrorOptions,
  ) {
    super(`live migration cancelled; ${afterwards(sourceState)}`, options);
    this.name = 'MigrationCancelledError';
  }
}

/**
 * A post-copy migration lost its connection (`postcopy-paused`): the guest's memory is split
 * between the two QEMUs and it runs on neither. Only QEMU's recovery (`migrate-recover` on the
 * destination, `migrate` with `resume` on the source) over a new connection can save it.
 */
export class PostcopyPausedError extends Error {
  constructor() {
    super(
      'post-copy migration lost its connection: the guest is paused with its memory split between source and destination; ' +
        'keep both QEMUs running and recover the migration over a new connection, or the VM is lost',
    );
    this.name = 'PostcopyPausedError';
  }
}

/** Between reads of `query-migrate` while no event comes. */
export const POLL_MS = 150;
// Between reads while a completed migration's figures are being filled in (a few ms).
const SETTLE_POLL_MS = 5;
// Capping at 2^53-1 bytes/s (petabytes) is no cap; a JSON number stays exact up to there.
const NO_CAP = Number.MAX_SAFE_INTEGER;
const MAX_DOWNTIME_LIMIT_MS = 2_000_000;
// QEMU restarts a source it stopped for the final pass when the migration fails; it does so
// around the time it reports the failure, so the run state is re-read for this long.
const RESUME_GRACE_MS = 3_000;
// Statuses after which QEMU starts no further work for this migration.
const ENDED = new Set(['completed', 'failed', 'cancelled']);

const RamStatsSchema = Type.Object({
  transferred: Type.Integer({ minimum: 0 }),
  remaining: Type.Integer({ minimum: 0 }),
  total: Type.Integer({ minimum: 0 }),
  'dirty-sync-count': Type.Integer({ minimum: 0 }),
  mbps: Type.Number(),
  'postcopy-bytes': Type.Optional(Type.Integer({ minimum: 0 })),
});

/**
 * The part of `query-migrate` (QAPI `MigrationInfo`) herd reads. `status` is left a string:
 * newer QEMUs add statuses, and an unknown one only means the migration is still going.
 */
const MigrationInfoSchema = Type.Object({
  status: Type.Optional(Type.String()),
  'total-time': Type.Optional(Type.Integer({ minimum: 0 })),
  'setup-time': Type.Optional(Type.Integer({ minimum: 0 })),
  downtime: Type.Optional(Type.Integer({ minimum: 0 })),
  'error-desc': Type.Optional(Type.String()),
  ram: Type.Optional(RamStatsSchema),
  'socket-address': Type.Optional(
    Type.Array(Type.Object({ type: Type.String(), host: Type.Optional(Type.String()), port: Type.Optional(Type.String()) })),
  ),
});
type MigrationInfo = Static<typeof MigrationInfoSchema>;

const CapabilitiesSchema = Type.Array(Type.Object({ capability: Type.String(), state: Type.Boolean() }));

/**
 * Sets `options` (each one missing takes {@link DEFAULT_MIGRATION_OPTIONS}'s value; no TLS
 * without `tlsCreds`, so that credentials of an earlier attempt are never named again) and turns
 * on migration events. Call on the source before {@link migrate} and on the destination before
 * {@link listenIncoming} (where only the capabilities and `tlsCreds` matter), after the
 * credentials have been added; QEMU refuses while a migration is in progress. Repeating it is
 * harmless. Throws `RangeError` for a value QEMU cannot take.
 */
export async function setMigrationOptions(qmp: QmpClient, options: MigrationOptions = {}): Promise<void> {
  const downtime = options.downtimeLimitMs ?? DEFAULT_MIGRATION_OPTIONS.downtimeLimitMs;
  const bandwidth = options.maxBandwidthBytes ?? DEFAULT_MIGRATION_OPTIONS.maxBandwidthBytes;
  if (!Number.isInteger(downtime) || downtime < 0 || downtime > MAX_DOWNTIME_LIMIT_MS) {
    throw new RangeError(`downtimeLimitMs must be an integer from 0 to ${MAX_DOWNTIME_LIMIT_MS}, got ${downtime}`);
  }
  if (bandwidth !== Number.POSITIVE_INFINITY && (!Number.isInteger(bandwidth) || bandwidth < 1)) {
    throw new RangeError(`maxBandwidthBytes must be a positive integer or Infinity, got ${bandwidth}`);
  }
  const capabilities = [
    { capability: 'events', state: true },
    { capability: 'auto-converge', state: options.autoConverge ?? DEFAULT_MIGRATION_OPTIONS.autoConverge },
    { capability: 'postcopy-ram', state: options.postcopy ?? DEFAULT_MIGRATION_OPTIONS.postcopy },
  ];
  await qmp.execute('migrate-set-capabilities', { capabilities }, EmptyReturnSchema);
  await qmp.execute(
    'migrate-set-parameters',
    {
      'downtime-limit': downtime,
      'max-bandwidth': bandwidth === Number.POSITIVE_INFINITY ? NO_CAP : Math.min(bandwidth, NO_CAP),
      // An empty string is QEMU's "none" for both.
      'tls-creds': options.tlsCreds ?? '',
      'tls-hostname': options.tlsHostname ?? '',
    },
    EmptyReturnSchema,
  );
}

/**
 * Makes a destination QEMU (launched with `incoming: true`) listen for the migration at `uri`
 * (`tcp:HOST:PORT`; port 0 picks a free one) and returns the addresses it listens on, to hand
 * to the source. If it already listens or receives, returns those addresses without asking
 * again. Call after {@link setMigrationOptions}; QEMU refuses on a QEMU launched without
 * `incoming` (`QmpCommandError`: "'-incoming' was not specified on the command line").
 */
export async function listenIncoming(qmp: QmpClient, uri: string): Promise<IncomingAddress[]> {
  let info = await queryMigrate(qmp);
  if (info.status === undefined && info['socket-address'] === undefined) {
    await qmp.execute('migrate-incoming', { uri }, EmptyReturnSchema);
    info = await queryMigrate(qmp);
  }
  return (info['socket-address'] ?? [])
    .filter((a) => a.type === 'inet' && a.host !== undefined && a.port !== undefined)
    .map((a) => ({ host: a.host!, port: Number(a.port) }));
}

/** The destination QEMU went away during its incoming migration (QEMU 7.2 exits when one fails or is cancelled). */
export class IncomingMigrationFailedError extends Error {
  constructor(options?: ErrorOptions) {
    super('the destination QEMU exited during the incoming migration; its output file says why. Launch it again to retry', options);
    this.name = 'IncomingMigrationFailedError';
  }
}

/**
 * On the destination: resolves once the incoming migration has completed there, when the guest
 * is paused on this host waiting for `cont`. The source reports `completed` when it has sent
 * everything, a moment before the destination has loaded it (QEMU 7.2, same host):
 *
 *   source      <- {"event": "MIGRATION", "data": {"status": "completed"}}
 *   destination -> {"execute": "query-status"}
 *               <- {"return": {"status": "inmigrate", "running": false}}
 *
 * so `cont` waits for this. Rejects with {@link IncomingMigrationFailedError} if the QEMU exits,
 * and with `signal`'s reason when it aborts. Call on a QEMU launched with `incoming: true`.
 */
export async function awaitIncoming(qmp: QmpClient, options: { readonly signal?: AbortSignal } = {}): Promise<void> {
  const { signal } = options;
  const wake = QmpWakeup.watch(qmp, (e) => e.event === 'MIGRATION', signal);
  try {
    for (;;) {
      wake.clear();
      signal?.throwIfAborted();
      let info: MigrationInfo;
      try {
        info = await queryMigrate(qmp);
      } catch (e) {
        if (e instanceof QmpDisconnectedError) throw new IncomingMigrationFailedError({ cause: e });
        throw e;
      }
      if (info.status === 'completed') return;
      if (info.status === 'failed' || info.status === 'cancelled') throw new IncomingMigrationFailedError();
      await wake.wait(POLL_MS);
    }
  } finally {
    wake.dispose();
  }
}

/** The `tcp:` URI of an address, with brackets around an IPv6 host. Pure. */
export function tcpUri(address: IncomingAddress): string {
  return `tcp:${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
}

/**
 * Migrates the VM from this QEMU (the source) to the destination listening at `uri` and
 * resolves once QEMU reports `completed`: the source is then paused (`postmigrate`) for good,
 * and the destination, once {@link awaitIncoming} says it has loaded the guest, waits for
 * `cont`. A migration already in progress is followed instead of started, and one that has
 * completed is reported again (a retried operation re-attaches; QEMU does not say where it
 * went). Rejects with {@link MigrationFailedError} (QEMU's reason) or
 * {@link MigrationCancelledError}, after which the guest runs on on the source if it ran before
 * (QEMU restarts it; `sourceState` says), with {@link PostcopyPausedError}, and with
 * `QmpDisconnectedError` if the source QEMU goes away. An abort that comes after QEMU has
 * completed the migration does not undo it: the call then resolves. Call after
 * {@link setMigrationOptions} on both sides and {@link listenIncoming} on the destination; not
 * twice at once for one QEMU.
 */
export async function migrate(qmp: QmpClient, uri: string, options: MigrateOptions = {}): Promise<MigrationResult> {
  const { signal, postcopyAfterPasses } = options;
  const wake = QmpWakeup.watch(qmp, (e) => e.event === 'MIGRATION' || e.event === 'MIGRATION_PASS', signal);
  try {
    if (postcopyAfterPasses !== undefined) {
      if (!options.onPostcopy) throw new RangeError('postcopyAfterPasses needs onPostcopy, which resumes the destination; without it the guest would run nowhere');
      await requirePostcopy(qmp);
    }
    const wasRunning = (await qmp.queryStatus()).running;
    const before = await queryMigrate(qmp);
    // The guest has left this QEMU already: a retried call reports that migration.
    const done = before.status === 'completed' ? await finalResult(qmp) : undefined;
    if (done) return result(done, false);
    if (!inProgress(before.status)) {
      if (signal?.aborted) throw new MigrationCancelledError((await qmp.queryStatus()).status, { cause: signal.reason });
      try {
        await qmp.execute('migrate', { uri }, EmptyReturnSchema);
      } catch (e) {
        // Refused outright: a device that blocks migration, a malformed URI, another migration.
        if (e instanceof QmpCommandError) throw new MigrationFailedError(e.desc, (await qmp.queryStatus()).status);
        throw e;
      }
    }
    let cancelled = false;
    let switched = false;
    let notified = false;
    for (;;) {
      wake.clear();
      const info = await queryMigrate(qmp);
      const status = info.status ?? 'none';
      if (status === 'completed') {
        // QEMU reports `completed` before it has computed the times (see finalResult).
        const final = await finalResult(qmp);
        if (final) return result(final, switched || notified);
        await wake.wait(SETTLE_POLL_MS);
        continue;
      }
      if (status === 'failed' || status === 'cancelled') {
        const state = await sourceStateAfter(qmp, wasRunning);
        if (status === 'failed') throw new MigrationFailedError(info['error-desc'] ?? 'QEMU gave no reason', state);
        throw new MigrationCancelledError(state, cancelled ? { cause: signal?.reason } : undefined);
      }
      if (status === 'postcopy-paused') throw new PostcopyPausedError();
      if (status === 'none') throw new Error('QEMU reports no migration after accepting migrate; was it reset by another QMP client?');
      if (info.ram) options.onProgress?.(progress(status, info.ram));
      const postcopy = status.startsWith('postcopy');
      if (postcopy && !notified) {
        notified = true;
        await options.onPostcopy?.();
      }
      if (signal?.aborted && !cancelled && !postcopy) {
        cancelled = true;
        await qmp.execute('migrate_cancel', undefined, EmptyReturnSchema);
      } else if (!cancelled && !switched && status === 'active' && postcopyAfterPasses !== undefined && (info.ram?.['dirty-sync-count'] ?? 0) > postcopyAfterPasses) {
        switched = true;
        await qmp.execute('migrate-start-postcopy', undefined, EmptyReturnSchema);
      }
      await wake.wait(POLL_MS);
    }
  } finally {
    wake.dispose();
  }
}

/**
 * `query-migrate` of a completed migration once QEMU has filled in its times, or undefined if it
 * has not yet. In QEMU 7.2 the migration thread sets `completed` (and sends the event) in
 * migration_completion(), and only afterwards, in migration_iteration_finish() under the main
 * lock, computes total-time and downtime and moves the source to `postmigrate`; a read in
 * between finds them not yet computed. `postmigrate` comes with the final times, so it is
 * waited for.
 */
async function finalResult(qmp: QmpClient): Promise<MigrationInfo | undefined> {
  if ((await qmp.queryStatus()).status !== 'postmigrate') return undefined;
  return queryMigrate(qmp);
}

/** `query-migrate` on either side. Call while QEMU runs. */
async function queryMigrate(qmp: QmpClient): Promise<MigrationInfo> {
  return qmp.execute('query-migrate', undefined, MigrationInfoSchema);
}

function inProgress(status: string | undefined): boolean {
  return status !== undefined && status !== 'none' && !ENDED.has(status);
}

async function requirePostcopy(qmp: QmpClient): Promise<void> {
  const caps = await qmp.execute('query-migrate-capabilities', undefined, CapabilitiesSchema);
  if (!caps.some((c) => c.capability === 'postcopy-ram' && c.state)) {
    throw new Error('postcopyAfterPasses needs setMigrationOptions({ postcopy: true }) on both QEMUs before the migration starts');
  }
}

/**
 * The source's run state after a failed or cancelled migration. QEMU restarts a guest it had
 * stopped for the final pass itself, but may report the end a moment before; a guest that ran
 * before is given that moment.
 */
async function sourceStateAfter(qmp: QmpClient, wasRunning: boolean): Promise<RunState> {
  const wake = QmpWakeup.watch(qmp, (e) => e.event === 'RESUME');
  try {
    const until = Date.now() + RESUME_GRACE_MS;
    for (;;) {
      wake.clear();
      const s = await qmp.queryStatus();
      if (s.running || !wasRunning || Date.now() >= until) return s.status;
      await wake.wait(Math.min(POLL_MS, until - Date.now()));
    }
  } finally {
    wake.dispose();
  }
}

function progress(status: string, ram: Static<typeof RamStatsSchema>): MigrationProgress {
  return {
    status,
    transferredBytes: ram.transferred,
    remainingBytes: ram.remaining,
    totalBytes: ram.total,
    dirtyPassCount: ram['dirty-sync-count'],
    bytesPerSecond: Math.round((ram.mbps * 1e6) / 8),
  };
}

function result(info: MigrationInfo, switched: boolean): MigrationResult {
  return {
    totalMs: info['total-time'] ?? 0,
    downtimeMs: info.downtime ?? 0,
    setupMs: info['setup-time'] ?? 0,
    transferredBytes: info.ram?.transferred ?? 0,
    ...(info.ram ? { dirtyPassCount: info.ram['dirty-sync-count'] } : {}),
    postcopy: switched || (info.ram?.['postcopy-bytes'] ?? 0) > 0,
  };
}

function afterwards(state: RunState): string {
  return state === 'running' ? 'the VM runs on, on the source' : `the VM is '${state}' on the source`;
}
