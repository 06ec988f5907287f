/**
 * `useLive`: reads state through the API, and reads it again whenever an event says it may
 * have changed. Bursts of events collapse into one read; a read never overlaps another, and
 * a change that arrives during a read causes exactly one more read after it.
 */
import type { HerdEvent } from '@herd/api';
import { useEffect, useRef, useState } from 'preact/hooks';
import { subscribeEvents } from './event-stream.js';

/** What a live read holds: the data once loaded, and the last error. */
export interface Live<T> {
  readonly data: T | undefined;
  readonly error: Error | undefined;
  /** Reads again now (after an action, say). */
  readonly reload: () => void;
}

/**
 * Loads `load()` now and after every event for which `relevant` is true (and after the stream
 * reconnects). `key` restarts everything when it changes (a different VM, say).
 */
export function useLive<T>(load: () => Promise<T>, relevant: (e: HerdEvent) => boolean, key = ''): Live<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const reloadRef = useRef<() => void>(() => undefined);
  const loadRef = useRef(load);
  const relevantRef = useRef(relevant);
  loadRef.current = load;
  relevantRef.current = relevant;

  useEffect(() => {
    let alive = true;
    let running = false;
    let again = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = async (): Promise<void> => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      do {
        again = false;
        try {
          const v = await loadRef.current();
          if (!alive) return;
          setData(v);
          setError(undefined);
        } catch (e) {
          if (!alive) return;
          setError(e instanceof Error ? e : new Error(String(e)));
        }
      } while (again && alive);
      running = false;
    };
    // Collapse a burst of events (a bulk start sends hundreds) into one read.
    const soon = (): void => {
      if (timer !== undefined) return;
      timer = setTimeout(() => {
        timer = undefined;
        void read();
      }, 50);
    };
    reloadRef.current = () => void read();
    setData(undefined);
    void read();
    const unsubscribe = subscribeEvents((e) => {
      if (e === 'resync' || relevantRef.current(e)) soon();
    });
    return () => {
      alive = false;
      if (timer !== undefined) clearTimeout(timer);
      unsubscribe();
    };
  }, [key]);

  return { data, error, reload: () => reloadRef.current() };
}
