/**
 * What /proc says about a process: whether it still runs, its command line, and whether it is
 * the QEMU of a given VM. Used when (re)attaching to QEMU processes that outlive the daemon, where
 * a pid alone is not proof: pids are reused, and an exited QEMU lingers as a zombie until init
 * reaps it (on some hosts for over a second), still answering kill(pid, 0).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** Liveness of a process as /proc reports it; a zombie has exited but is not yet reaped. */
export type ProcessState = 'alive' | 'zombie' | 'gone';

const STATE_LETTERS = ['R', 'S', 'D', 'Z', 'T', 't', 'W', 'X', 'x', 'K', 'P', 'I'] as const;

/** The fields of /proc/PID/stat herd uses, as decoded by {@link parseProcStat}. */
export const ProcStatSchema = Type.Object({
  pid: Type.Integer({ minimum: 1 }),
  comm: Type.String(),
  state: Type.Union(STATE_LETTERS.map((s) => Type.Literal(s))),
  ppid: Type.Integer({ minimum: 0 }),
  /** Start time in clock ticks after boot (field 22): with the pid, it identifies one process instance. */
  startTime: Type.Integer({ minimum: 0 }),
});
/** Decoded /proc/PID/stat. */
export type ProcStat = Static<typeof ProcStatSchema>;

/**
 * Decodes the text of /proc/PID/stat, or returns undefined if it is malformed. `comm` may contain
 * spaces and parentheses, so the fixed fields are read after the *last* `)`. Pure.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  // Fields after comm start at field 3 (state); startTime is field 22, i.e. index 19 here.
  const rest = text.slice(close + 1).trim().split(/\s+/);
  const candidate = {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: rest[0],
    ppid: Number(rest[1]),
    startTime: Number(rest[19]),
  };
  return Value.Check(ProcStatSchema, candidate) ? candidate : undefined;
}

/** Maps a /proc state letter to liveness: `Z` (zombie) and `X`/`x` (dead) count as exited. Pure. */
export function stateOf(stat: ProcStat): ProcessState {
  if (stat.state === 'Z') return 'zombie';
  if (stat.state === 'X' || stat.state === 'x') return 'gone';
  return 'alive';
}

/** Splits the NUL-separated text of /proc/PID/cmdline into argv. Pure. */
export function parseCmdline(raw: string): string[] {
  if (raw === '') return [];
  const args = raw.split('\0');
  if (args.at(-1) === '') args.pop();
  return args;
}

/**
 * Reports whether `pid` is running, a zombie (exited, not yet reaped: treat as exited) or gone.
 * Reads /proc synchronously (a few microseconds); may be called at any time.
 */
export function processState(pid: number): ProcessState {
  const text = readProc(pid, 'stat');
  if (text === undefined) return 'gone';
  const stat = parseProcStat(text);
  // A pid that was reused between our read and now still parses; an unparseable stat does not
  // happen on Linux, so treat it as gone rather than pretend to know.
  return stat === undefined || stat.pid !== pid ? 'gone' : stateOf(stat);
}

/**
 * Returns the argv of `pid`, or undefined if there is no such process. A zombie or kernel thread
 * has an empty argv. May be called at any time.
 */
export function processCmdline(pid: number): string[] | undefined {
  const raw = readProc(pid, 'cmdline');
  return raw === undefined ? undefined : parseCmdline(raw);
}

/**
 * Reports whether `argv` is a QEMU system emulator started for the VM `uuid` (it contains
 * `-uuid <uuid>`, compared case-insensitively). Pure.
 */
export function isQemuCmdlineOf(argv: readonly string[], uuid: string): boolean {
  const argv0 = argv[0];
  if (argv0 === undefined || !basename(argv0).startsWith('qemu-system-')) return false;
  const want = uuid.toLowerCase();
  return argv.some((a, i) => a === '-uuid' && argv[i + 1]?.toLowerCase() === want);
}

/**
 * Reports whether `pid` is a live (not zombie) QEMU started for the VM `uuid`: the check to make
 * before trusting a pidfile, reattaching to a QMP socket, or killing a pid. May be called at any
 * time.
 */
export function isQemuOf(pid: number, uuid: string): boolean {
  if (processState(pid) !== 'alive') return false;
  const argv = processCmdline(pid);
  return argv !== undefined && isQemuCmdlineOf(argv, uuid);
}

/**
 * SIGKILLs `pid` if /proc says it is the live QEMU of VM `uuid` (pids are reused, so never on a
 * pidfile's word alone); true when it was killed. May be called at any time.
 */
export function killQemuOf(pid: number | undefined, uuid: string): boolean {
  if (pid === undefined || !isQemuOf(pid, uuid)) return false;
  try {
    process.kill(pid, 'SIGKILL');
    return true;
  } catch {
    // exited meanwhile
    return false;
  }
}

/**
 * Decodes a pidfile's text: a positive decimal integer and optional trailing whitespace, else
 * undefined (a pidfile caught mid-write may be empty). Pure.
 */
export function parsePidfile(text: string): number | undefined {
  const t = text.trim();
  if (!/^[1-9][0-9]{0,9}$/.test(t)) return undefined;
  const pid = Number(t);
  return pid <= 0x7fffffff ? pid : undefined;
}

/**
 * Reads the pid from a pidfile, or returns undefined if the file is missing or does not hold a
 * pid. The pid may be stale: confirm it with {@link isQemuOf}. May be called at any time.
 */
export function readPidfile(path: string): number | undefined {
  try {
    return parsePidfile(readFileSync(path, 'utf8'));
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return undefined;
    throw e;
  }
}

function readProc(pid: number, file: 'stat' | 'cmdline'): string | undefined {
  if (!Number.isInteger(pid) || pid < 1) return undefined;
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch (e) {
    // ESRCH: the process exited between opening and reading.
    if (isErrno(e, 'ENOENT') || isErrno(e, 'ESRCH')) return undefined;
    throw e;
  }
}

function isErrno(e: unknown, code: string): boolean {
  return e instanceof Error && 'code' in e && e.code === code;
}
