/** A list of events, newest first. */
import type { HerdEvent } from '@herd/api';
import { dateTime, timeAgo } from '../lib/format.js';
import { useNow } from '../lib/use-now.js';

/** Shows `events` (already newest first); `empty` is said when there are none. */
export function EventList({ events, empty = 'No events yet.', id }: { readonly events: readonly HerdEvent[]; readonly empty?: string; readonly id?: string }) {
  const now = useNow();
  if (events.length === 0) return <p class="muted" id={id}>{empty}</p>;
  return (
    <ol class="event-list" id={id}>
      {events.map((e) => (
        <li key={e.seq} class={`event event-${e.type.replace(/\W/g, '-')}`}>
          <time dateTime={e.time} title={dateTime(e.time)}>
            {timeAgo(e.time, now)}
          </time>
          <span class="event-type">{e.type}</span>
          <span class="event-message">{e.message}</span>
        </li>
      ))}
    </ol>
  );
}
