/**
 * The fence guard: `node fence-guard-main.js RUN_ROOT DEADLINE_FILE LOG_FILE [VMS_FILE]`. A small process
 * apart from the daemon, like a watchdog: while the daemon renews this host's lease it keeps
 * moving the deadline in DEADLINE_FILE forward; once the deadline passes (the daemon died, hangs,
 * or cannot reach the database) the guard kills the QEMUs under RUN_ROOT of the VMs listed in
 * VMS_FILE (this host's HA VMs; all of them without a list), and keeps killing any that appears
 * until a new deadline comes. The leader restarts HA VMs elsewhere only after the
 * lease has run out, which is later than this deadline, so a VM never runs on two hosts. It exits
 * when the deadline file is removed (the daemon left cluster mode).
 */
import { appendFileSync } from 'node:fs';
import { monotonicMs, readFenceDeadline, readFencedVms } from './fence-deadline.js';
import { killAllQemus } from './fence-sweep.js';

const [runRoot, deadlineFile, logFile, vmsFile] = process.argv.slice(2);
if (!runRoot || !deadlineFile || !logFile) {
  process.stderr.write('usage: fence-guard-main RUN_ROOT DEADLINE_FILE LOG_FILE [VMS_FILE]\n');
  process.exit(2);
}

/** How often the deadline is checked: the slack between the deadline and the lease's end must exceed it. */
const checkEveryMs = 200;

function log(msg: string, fields: Record<string, unknown> = {}): void {
  appendFileSync(logFile!, `${JSON.stringify({ time: new Date().toISOString(), pid: process.pid, msg, ...fields })}\n`);
}

let fenced = false;
log('fence guard watching', { runRoot, deadlineFile });
setInterval(() => {
  const deadline = readFenceDeadline(deadlineFile);
  if (deadline === undefined) {
    log('deadline removed: fence guard exits');
    process.exit(0);
  }
  const late = monotonicMs() - deadline;
  if (late <= 0) {
    if (fenced) log('lease renewed: no longer fenced');
    fenced = false;
    return;
  }
  const killed = killAllQemus(runRoot, vmsFile ? readFencedVms(vmsFile) : undefined);
  if (!fenced || killed.length > 0) log('lease not renewed in time: fencing this host', { lateMs: late, killedVms: killed });
  fenced = true;
}, checkEveryMs);
