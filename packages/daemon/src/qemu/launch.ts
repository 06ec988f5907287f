/**
 * Starting a VM's QEMU process, detached from the daemon. QEMU's seccomp sandbox forbids it to
 * fork and to change its user (see `QEMU_SANDBOX`), so it cannot `-daemonize` or `-runas`:
 * instead it is started in a session of its own, already as the VM's user, with its output in a
 * file of the runtime directory, and `launchQemu` returns once QMP answers. QEMU only serves QMP
 * commands from its main loop, which it enters after it has opened every backend, so by then the
 * VM is ready for `QmpClient.connect`, and any startup error (missing disk, bad option) is in the
 * output file, which is read back through the daemon's own descriptor.
 */
import { chmod, chown, mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { constants } from 'node:fs';
import { startDetached, type DetachedProcess } from '../host/exec.js';
import { isQemuOf, readPidfile } from '../host/proc.js';
import { sleep } from '../util/time.js';
import { buildArgv, QEMU_BINARY } from './build-argv.js';
import type { LaunchSpec } from './launch-spec.js';
import { consoleSocketPath, pidfilePath, qemuOutputPath, qmpSocketPath, vncSocketPath } from './launch-spec.js';
import { QmpClient } from './qmp-client.js';

/** QEMU refused to start; `stderr` holds its own explanation (trimmed), which is also the message. */
export class QemuLaunchError extends Error {
  constructor(
    readonly stderr: string,
    readonly exitCode: number,
  ) {
    super(stderr || `${QEMU_BINARY} exited with code ${exitCode} and no message`);
    this.name = 'QemuLaunchError';
  }
}

/** A QEMU for this VM is already running from this runDir; launching again would orphan it. */
export class QemuAlreadyRunningError extends Error {
  constructor(readonly pid: number) {
    super(`a QEMU for this VM is already running (pid ${pid})`);
    this.name = 'QemuAlreadyRunningError';
  }
}

/** Generous: startup is ~0.1 s under TCG, but opening a disk on slow storage can take longer. */
const LAUNCH_TIMEOUT_MS = 30_000;
/** Between looks for the QMP socket while QEMU initializes. */
const POLL_MS = 10;

/**
 * Starts QEMU for `spec` (as `spec.runAs` when given) and resolves once it is running detached
 * with QMP answering, with its pid (verified through /proc to be this VM's QEMU). Call when the
 * VM has no running QEMU, and with every file QEMU opens already readable by `spec.runAs`: throws
 * {@link QemuAlreadyRunningError} if the pidfile names a live QEMU of this VM,
 * {@link QemuLaunchError} with QEMU's output if it fails to start, and `InvalidLaunchSpecError` /
 * `UnsafeOptionValueError` for a spec it cannot express.
 */
export async function launchQemu(spec: LaunchSpec): Promise<{ pid: number }> {
  const argv = buildArgv(spec);
  const pidfile = pidfilePath(spec.runDir);
  const existing = readPidfile(pidfile);
  if (existing !== undefined && isQemuOf(existing, spec.uuid)) throw new QemuAlreadyRunningError(existing);

  await prepareRunDir(spec);
  // Created afresh by the daemon (never through a link the VM's user left); QEMU only inherits it.
  const out = await open(qemuOutputPath(spec.runDir), constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    let proc: DetachedProcess;
    try {
      // Only PATH: QEMU's environment is readable by its own user, and the daemon's may hold secrets.
      proc = await startDetached(QEMU_BINARY, argv, { outputFd: out.fd, env: { PATH: process.env.PATH }, ...(spec.runAs ?? {}) });
    } catch (e) {
      await removeRuntimeFiles(spec.runDir);
      throw new QemuLaunchError(e instanceof Error ? e.message : String(e), -1);
    }
    const outcome = await untilReady(qmpSocketPath(spec.runDir), proc, LAUNCH_TIMEOUT_MS);
    if (outcome !== 'ready') {
      if (outcome === 'timeout') process.kill(proc.pid, 'SIGKILL');
      const said = (await readAll(out)).trim();
      // QEMU creates its sockets before it fails on a later option; leave no stale files behind.
      await removeRuntimeFiles(spec.runDir);
      if (outcome === 'timeout') throw new QemuLaunchError(`${QEMU_BINARY} did not answer on QMP within ${LAUNCH_TIMEOUT_MS / 1000} s${said ? `: ${said}` : ''}`, -1);
      throw new QemuLaunchError(said, outcome.code ?? -1);
    }
    if (!isQemuOf(proc.pid, spec.uuid)) {
      await removeRuntimeFiles(spec.runDir);
      throw new QemuLaunchError(`${QEMU_BINARY} answered on QMP but pid ${proc.pid} is not a running QEMU of this VM`, 0);
    }
    return { pid: proc.pid };
  } finally {
    await out.close();
  }
}

/**
 * The runtime directory, 0700 and the VM user's (QEMU makes its sockets and pidfile there), empty
 * of an earlier run's files; the console log made, and the VM user's (QEMU appends to it).
 */
async function prepareRunDir(spec: LaunchSpec): Promise<void> {
  await mkdir(spec.runDir, { recursive: true, mode: 0o700 });
  await chmod(spec.runDir, 0o700); // mkdir's mode does not apply to a directory that already existed
  if (spec.runAs) await chown(spec.runDir, spec.runAs.uid, spec.runAs.gid);
  await removeRuntimeFiles(spec.runDir);
  if (spec.runAs) {
    // Through the descriptor, so a link put in its place cannot redirect the chown.
    const log = await open(spec.consoleLog, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW, 0o600);
    try {
      await log.chown(spec.runAs.uid, spec.runAs.gid);
      await log.chmod(0o600);
    } finally {
      await log.close();
    }
  }
}

/** Waits until QMP answers `qmp_capabilities` ('ready'), QEMU exits, or `timeoutMs` passes. */
async function untilReady(qmpSocket: string, proc: DetachedProcess, timeoutMs: number): Promise<'ready' | 'timeout' | { code: number | null }> {
  let exit: { code: number | null } | undefined;
  void proc.exited.then((e) => (exit = e));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exit) return exit;
    const left = deadline - Date.now();
    if (left <= 0) return 'timeout';
    try {
      // Refused (not listening yet) or cut (QEMU failed during init): look again. An answer
      // comes only from QEMU's main loop, once it is fully initialized.
      (await QmpClient.connect(qmpSocket, { timeoutMs: left })).close();
      return 'ready';
    } catch {
      await sleep(POLL_MS);
    }
  }
}

async function readAll(file: FileHandle): Promise<string> {
  const { size } = await file.stat();
  const buf = Buffer.alloc(Math.min(size, 64 * 1024));
  const { bytesRead } = await file.read(buf, 0, buf.length, Math.max(0, size - buf.length));
  return buf.subarray(0, bytesRead).toString();
}

async function removeRuntimeFiles(runDir: string): Promise<void> {
  const files = [qmpSocketPath(runDir), consoleSocketPath(runDir), vncSocketPath(runDir), pidfilePath(runDir), qemuOutputPath(runDir)];
  await Promise.all(files.map((p) => rm(p, { force: true })));
}
