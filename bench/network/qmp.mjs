// A minimal QMP client for the hand-made side: commands in order, replies matched by id, events
// to listeners. herd's own client lives in the daemon; the hand-made QEMUs are driven the way a
// person with a script would drive them.
import { connect } from 'node:net';

/**
 * Connects to the QMP socket at `path`, negotiates capabilities and resolves to
 * `{ execute(command, args), onEvent(fn), close() }`. `execute` rejects with QEMU's error
 * description; `onEvent` returns a function that removes the listener.
 */
export function openQmp(path) {
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    const pending = new Map();
    const listeners = new Set();
    let nextId = 0;
    let buf = '';
    let greeted = false;
    const execute = (command, args) =>
      new Promise((res, rej) => {
        const id = `b${++nextId}`;
        pending.set(id, { res, rej });
        sock.write(JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id }) + '\n');
      });
    sock.on('error', (e) => {
      reject(e);
      for (const p of pending.values()) p.rej(e);
      pending.clear();
    });
    sock.on('close', () => {
      for (const p of pending.values()) p.rej(new Error(`QMP socket ${path} closed`));
      pending.clear();
    });
    sock.on('data', (chunk) => {
      buf += chunk.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (!greeted && msg.QMP) {
          greeted = true;
          execute('qmp_capabilities').then(
            () => resolve({ execute, onEvent: (fn) => (listeners.add(fn), () => listeners.delete(fn)), close: () => sock.destroy() }),
            reject,
          );
        } else if (msg.event) {
          for (const fn of listeners) fn(msg);
        } else if (msg.id && pending.has(msg.id)) {
          const p = pending.get(msg.id);
          pending.delete(msg.id);
          if ('error' in msg) p.rej(new Error(`QMP: ${msg.error.desc}`));
          else p.res(msg.return);
        }
      }
    });
  });
}
