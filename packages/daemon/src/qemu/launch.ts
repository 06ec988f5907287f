/**
 * Starting a VM's QEMU process, detached from the daemon. QEMU runs with `-daemonize`: the
 * process we start forks, and exits only once the real QEMU has opened every backend and its QMP
 * and console sockets listen, so when `run()` returns the VM is ready for `QmpClient.connect`,
 * and any startup error (missing disk, bad option) is on the first process's stderr.
 */
import { chmod, mkdir, rm } from 'node:fs/promises';
import { run } from '../host/exec.js';
import { isQemuOf, readPidfile } from '../host/proc.js';
import { buildArgv, QEMU_BINARY } from './build-argv.js';
import type { LaunchSpec } from './launch-spec.js';
import { consoleSocketPath, pidfilePath, qmpSocketPath, vncSocketPath } from './launch-spec.js';

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

/**
 * Starts QEMU for `spec` and resolves once it is running detached with its QMP socket listening,
 * with the pid from its pidfile (verified through /proc to be this VM's QEMU). Call when the VM
 * has no running QEMU: throws {@link QemuAlreadyRunningError} if the pidfile names a live QEMU of
 * this VM, {@link QemuLaunchError} with QEMU's stderr if it fails to start, and
 * `InvalidLaunchSpecError` / `UnsafeOptionValueError` for a spec it cannot express.
 */
export async function launchQemu(spec: LaunchSpec): Promise<{ pid: number }> {
  const argv = buildArgv(spec);
  const pidfile = pidfilePath(spec.runDir);
  const existing = readPidfile(pidfile);
  if (existing !== undefined && isQemuOf(existing, spec.uuid)) throw new QemuAlreadyRunningError(existing);

  await mkdir(spec.runDir, { recursive: true, mode: 0o700 });
  await chmod(spec.runDir, 0o700); // mkdir's mode does not apply to a directory that already existed
  await removeRuntimeFiles(spec.runDir);

  const result = await run(QEMU_BINARY, argv, { timeoutMs: LAUNCH_TIMEOUT_MS, allowFailure: true });
  if (result.code !== 0) {
    // QEMU creates its sockets before it fails on a later option; leave no stale files behind.
    await removeRuntimeFiles(spec.runDir);
    throw new QemuLaunchError(result.stderr.trim(), result.code);
  }
  const pid = readPidfile(pidfile);
  if (pid === undefined || !isQemuOf(pid, spec.uuid)) {
    // The daemonized QEMU died between initializing and now (or the pidfile is not its own).
    await removeRuntimeFiles(spec.runDir);
    throw new QemuLaunchError(`${QEMU_BINARY} reported success but ${pidfile} does not name a running QEMU of this VM`, 0);
  }
  return { pid };
}

async function removeRuntimeFiles(runDir: string): Promise<void> {
  await Promise.all([qmpSocketPath(runDir), consoleSocketPath(runDir), vncSocketPath(runDir), pidfilePath(runDir)].map((p) => rm(p, { force: true })));
}
