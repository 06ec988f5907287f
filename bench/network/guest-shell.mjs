// Commands run in a tiny guest's root shell on its serial console, the same way on both sides.
//
// The line typed is `echo T-$((1+0)); { CMD; } > FILE 2>&1; echo "R MD5"; cat FILE; echo
// T-$((1+1))`: `T-1` and `T-2` only appear in the output once the shell has run them (an echo of
// the typed line would show `$((1+0))`), and between them the guest prints CMD's output with its
// MD5. The caller resolves as soon as `T-2` arrives: a command that measures something must not
// wait on a quiet timer, and the host must stay idle meanwhile.
//
// The checksum is there because herd's console can show a character twice. herd serves the
// console from the log file QEMU writes (chardev logfile=), and QEMU 7.2 seems to write a byte to
// that log a second time when the UART retries it after the console socket was full: a guest
// printing a burst of a few hundred bytes outruns any reader of a socket fed one byte per write.
// A client reading the socket itself gets every byte once (bench/README.md has the figures). So markers are matched allowing any character
// to repeat, and when the output does not match its MD5 the guest prints it again (the command
// is not run twice). {@link quietEcho} keeps the bursts short.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';

const OUT = '/tmp/bench-out';
const PRINT = `echo "R $(md5sum < ${OUT} | cut -c1-32)"; cat ${OUT}`;

/** A regex source matching `s` with each character possibly repeated. */
const tolerant = (s) => [...s].map((c) => `${c.replace(/[-\\^$*+?.()|[\]{}]/g, '\\$&')}+`).join('');

/** What the guest printed between the markers of `t`, or undefined while incomplete. */
function between(t, output) {
  const m = new RegExp(`${tolerant(`${t}-1`)}\\r?\\n([\\s\\S]*?)${tolerant(`${t}-2`)}`).exec(output);
  return m?.[1];
}

/** CMD's output after its `R MD5` line, or undefined when either is missing or damaged. */
function decode(text) {
  const m = /R+ +([0-9a-f]+)\r?\n([\s\S]*)$/.exec(text);
  if (!m) return undefined;
  // The terminal turns each \n into \r\n on the way out.
  const out = m[2].replace(/\r\n/g, '\n');
  return createHash('md5').update(out).digest('hex') === m[1] ? out : undefined;
}

function markedLine(body) {
  // Random letters: no marker is a prefix of another, even allowing repeats.
  const t = `Hb${[...randomBytes(8)].map((b) => String.fromCharCode(97 + (b % 26))).join('')}`;
  return { t, line: `echo ${t}-$((1+0)); ${body}; echo ${t}-$((1+1))\n` };
}

/**
 * Wraps `exchange(line, t, timeoutMs)` (types `line`, resolves to what lies between the markers
 * of `t`) into `run(cmd, timeoutMs)`, which resolves to CMD's output (stdout and stderr, as the
 * guest wrote it), reprinting it when it arrived damaged.
 */
function shellOver(exchange, vm) {
  const stats = { commands: 0, reprints: 0 };
  return {
    /** How many commands ran, and how many outputs had to be printed again. */
    stats,
    /**
     * Stops the guest's terminal from echoing typed lines (busybox's line editing then reads
     * without echo too), so what comes back is only what commands print. Call once per guest.
     */
    async quietEcho() {
      const { t, line } = markedLine('stty -echo');
      await exchange(line, t, 60_000);
    },
    async run(cmd, timeoutMs = 60_000) {
      let { t, line } = markedLine(`{ ${cmd}; } > ${OUT} 2>&1; ${PRINT}`);
      stats.commands++;
      for (let attempt = 0; attempt < 5; attempt++) {
        const out = decode(await exchange(line, t, timeoutMs));
        if (out !== undefined) return out.trim();
        stats.reprints++;
        ({ t, line } = markedLine(PRINT));
        timeoutMs = 60_000;
      }
      throw new Error(`${vm}: the output of '${cmd}' arrived damaged five times`);
    },
  };
}

/**
 * A guest shell reached with `herd vm console NAME` (the built CLI at `cliMain`, against the
 * daemon at `url`), one CLI process per command as a user's script would run it. Its stdin stays
 * open until the end marker has arrived, then ends; `--quiet-ms` only governs that last moment.
 */
export function herdConsoleShell(cliMain, url, vm) {
  const exchange = (line, t, timeoutMs) =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [cliMain, '--url', url, 'vm', 'console', vm, '--quiet-ms', '200'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      let answer;
      const timer = setTimeout(() => {
        child.kill();
        reject(new Error(`no answer from ${vm} within ${timeoutMs} ms: ${out.slice(-400)}${err}`));
      }, timeoutMs);
      child.stdout.on('data', (b) => {
        out += b.toString();
        if (answer !== undefined) return;
        answer = between(t, out);
        if (answer !== undefined) child.stdin.end();
      });
      child.stderr.on('data', (b) => (err += b.toString()));
      child.on('close', () => {
        clearTimeout(timer);
        if (answer !== undefined) resolve(answer);
        else reject(new Error(`herd vm console ${vm} ended without an answer: ${out.slice(-400)}${err}`));
      });
      child.stdin.on('error', () => undefined);
      child.stdin.write(line);
    });
  return { ...shellOver(exchange, vm), close() {} };
}

/**
 * A guest shell reached through the serial console socket a hand-started QEMU serves
 * (`-chardev socket,...,server=on` as buildArgv writes it), over one connection kept open.
 * Commands run one at a time, in order.
 */
export async function socketShell(path, vm) {
  const sock = connect(path);
  await new Promise((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  let out = '';
  let waiter;
  sock.on('data', (b) => {
    out += b.toString();
    waiter?.();
  });
  let queue = Promise.resolve();
  const exchange = (line, t, timeoutMs) => {
    const step = queue.then(
      () =>
        new Promise((resolve, reject) => {
          out = '';
          const timer = setTimeout(() => {
            waiter = undefined;
            reject(new Error(`no answer from ${vm} within ${timeoutMs} ms: ${out.slice(-400)}`));
          }, timeoutMs);
          waiter = () => {
            const answer = between(t, out);
            if (answer === undefined) return;
            waiter = undefined;
            clearTimeout(timer);
            resolve(answer);
          };
          sock.write(line);
        }),
    );
    queue = step.catch(() => undefined);
    return step;
  };
  return { ...shellOver(exchange, vm), close: () => sock.destroy() };
}
