/** `useNow`: re-renders the caller every `everyMs` so that "5 s ago" stays true. No API reads. */
import { useEffect, useState } from 'preact/hooks';

/** The current time in ms, refreshed every `everyMs`. */
export function useNow(everyMs = 10_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}
