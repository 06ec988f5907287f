/**
 * `useEventLog`: the events that concern one thing, newest first. It reads the recent log once
 * (the API has no per-target filter yet, so it filters a window of recent events) and then adds
 * the matching events as the stream delivers them: events are records of the log itself, so
 * here the stream is the fresh read. After a reconnect it reads the log again.
 */
import type { HerdEvent } from '@herd/api';
import { useEffect, useState } from 'preact/hooks';
import { client } from './client.js';
import { subscribeEvents } from './event-stream.js';

/** The newest `keep` events for which `matches` holds; `key` restarts it (another VM). */
export function useEventLog(matches: (e: HerdEvent) => boolean, key: string, window = 500, keep = 50): readonly HerdEvent[] {
  const [events, setEvents] = useState<readonly HerdEvent[]>([]);
  useEffect(() => {
    let alive = true;
    let maxSeq = -1;
    const read = async () => {
      try {
        const recent = (await client.call('listEvents', { query: { limit: window } })).filter(matches).reverse().slice(0, keep);
        if (!alive) return;
        maxSeq = Math.max(maxSeq, recent[0]?.seq ?? -1);
        setEvents(recent);
      } catch {
        // the next resync tries again
      }
    };
    void read();
    const unsubscribe = subscribeEvents((e) => {
      if (e === 'resync') void read();
      else if (matches(e) && e.seq > maxSeq) {
        maxSeq = e.seq;
        setEvents((now) => [e, ...now].slice(0, keep));
      }
    });
    return () => {
      alive = false;
      unsubscribe();
    };
  }, [key]);
  return events;
}
