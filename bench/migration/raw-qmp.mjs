// A plain QMP client for the raw column: commands in order, replies matched by id, events (with
// QEMU's timestamps) to listeners. No herd code: the raw column is QEMU as a person with a script
// drives it.
import { connect } from 'node:net';

/**
 * Connects to the QMP socket at `path`, negotiates capabilities and resolves to
 * `{ execute(command, args), onEvent(fn), closed, close() }`. `execute` rejects with QEMU's error
 * description, or when the connection has ended; `closed` resolves when it ends.
 */
export function openQmp(path) {
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    const pending = new Map();
    const listeners = new Set();
    let nextId = 0;
    let buf = '';
    let greeted = false;
    let ended = false;
    const closed = new Promise((r) => sock.on('close', r));
    const execute = (command, args) =>
      new Promise((res, rej) => {
        if (ended) return rej(new Error(`QMP socket ${path} closed before ${command}`));
        const id = `r${++nextId}`;
        pending.set(id, { res, rej });
        sock.write(JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id }) + '\n');
      });
    const fail = (e) => {
      ended = true;
      for (const p of pending.values()) p.rej(e);
      pending.clear();
    };
    sock.on('error', (e) => {
      reject(e);
      fail(e);
    });
    sock.on('close', () => fail(new Error(`QMP socket ${path} closed`)));
    sock.on('data', (chunk) => {
      buf += chunk.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (!greeted && msg.QMP) {
          greeted = true;
          execute('qmp_capabilities').then(
            () => resolve({ execute, onEvent: (fn) => (listeners.add(fn), () => listeners.delete(fn)), closed, close: () => sock.destroy() }),
            reject,
          );
        } else if (msg.event) {
          for (const fn of listeners) fn(msg);
        } else if (msg.id && pending.has(msg.id)) {
          const p = pending.get(msg.id);
          pending.delete(msg.id);
          if ('error' in msg) p.rej(new Error(`QMP ${msg.error.class}: ${msg.error.desc}`));
          else p.res(msg.return);
        }
      }
    });
  });
}

/** Milliseconds since the epoch of a QMP event's timestamp (QEMU stamps events with the host's clock). */
export function eventMs(event) {
  return event.timestamp.seconds * 1000 + event.timestamp.microseconds / 1000;
}
