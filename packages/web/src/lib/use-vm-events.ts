/**
 * `useVmEvents`: the events of one VM, newest first. The daemon filters the log
 * (`GET /events?target=`); after that first read, the events the page's one event stream
 * delivers are added when `isEventOfVm` (the same rule the daemon filters by) takes them:
 * events are records of the log itself, so here the stream is the fresh read. After a
 * reconnect it reads the log again.
 */
import { isEventOfVm, type HerdEvent } from '@herd/api';
import { useEffect, useState } from 'preact/hooks';
import { client } from './client.js';
import { subscribeEvents } from './event-stream.js';

/** The newest `keep` events of the VM with id `vmId` (none until the id is known). */
export function useVmEvents(vmId: string | undefined, keep = 50): readonly HerdEvent[] {
  const [events, setEvents] = useState<readonly HerdEvent[]>([]);
  useEffect(() => {
    setEvents([]);
    if (vmId === undefined) return;
    let alive = true;
    const read = async () => {
      try {
        const logged = (await client.call('listEvents', { query: { target: vmId, limit: keep } })).reverse();
        if (!alive) return;
        const newest = logged[0]?.seq ?? -1;
        // Keep what the stream delivered while the read was on its way.
        setEvents((now) => [...now.filter((e) => e.seq > newest), ...logged].slice(0, keep));
      } catch {
        // the next resync tries again
      }
    };
    void read();
    const unsubscribe = subscribeEvents((e) => {
      if (e === 'resync') void read();
      else if (isEventOfVm(e, vmId)) setEvents((now) => (now.some((n) => n.seq === e.seq) ? now : [e, ...now].slice(0, keep)));
    });
    return () => {
      alive = false;
      unsubscribe();
    };
  }, [vmId]);
  return events;
}
