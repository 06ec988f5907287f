/**
 * One server-sent event stream for the whole page, shared by every view. Views subscribe to
 * be told that something changed; they then read fresh state through the API (events are
 * signals, not state). When the stream drops it reconnects after a pause, resuming after the
 * last event seen, and tells subscribers to reread everything since they may have missed some.
 * The stream belongs to the session: it ends when the user signs out, and starts afresh in
 * another project (the daemon sends each caller the events of the project they act in).
 */
import type { HerdEvent } from '@herd/api';
import { client } from './client.js';
import { subscribeSession, type Session } from './session.js';

/** Called with each event, or with `'resync'` after a reconnect. */
export type EventListener = (e: HerdEvent | 'resync') => void;

/** Whether the stream is connected, for the status light in the header. */
export type StreamStatus = 'live' | 'reconnecting';

const listeners = new Set<EventListener>();
const statusListeners = new Set<(s: StreamStatus) => void>();
let status: StreamStatus = 'live';
let started = false;
let lastSeq: number | undefined;
/** The session the running stream belongs to (token and project), and how to end it. */
let running: { readonly key: string; readonly stop: AbortController } | undefined;

function setStatus(s: StreamStatus): void {
  if (s === status) return;
  status = s;
  for (const l of statusListeners) l(s);
}

async function run(signal: AbortSignal): Promise<void> {
  for (let attempt = 0; !signal.aborted; attempt++) {
    try {
      await client.streamEvents(
        (e) => {
          if (signal.aborted) return;
          setStatus('live');
          attempt = 0;
          lastSeq = e.seq;
          for (const l of listeners) l(e);
        },
        { since: lastSeq, signal },
      );
    } catch {
      // fall through to the reconnect below
    }
    if (signal.aborted) return;
    setStatus('reconnecting');
    await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** Math.min(attempt, 4), 10_000)));
    if (signal.aborted) return;
    for (const l of listeners) l('resync');
  }
}

/** Keeps one stream for the signed-in session: none while signed out, a new one for another project. */
function follow(s: Session): void {
  const key = s.kind === 'in' ? `${s.project ?? ''}\n${s.token}` : undefined;
  if (key === running?.key) return;
  running?.stop.abort();
  running = undefined;
  lastSeq = undefined;
  if (key === undefined) return;
  running = { key, stop: new AbortController() };
  void run(running.stop.signal);
}

/** Subscribes to events; returns the unsubscribe function. Starts the stream on first use. */
export function subscribeEvents(listener: EventListener): () => void {
  listeners.add(listener);
  if (!started) {
    started = true;
    subscribeSession(follow);
  }
  return () => listeners.delete(listener);
}

/** Subscribes to the stream's connection status. */
export function subscribeStreamStatus(listener: (s: StreamStatus) => void): () => void {
  statusListeners.add(listener);
  listener(status);
  return () => statusListeners.delete(listener);
}
