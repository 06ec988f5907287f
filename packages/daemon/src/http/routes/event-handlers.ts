/** `GET /events`: a JSON page of the log, or a server-sent event stream of it (all, or one VM's). */
import { isEventOfVm, type HerdEvent } from '@herd/api';
import type { HandlerGroup } from '../handler.js';
import { requestScope } from '../request-scope-of.js';

/** Event routes. */
export const eventHandlers: HandlerGroup<'listEvents'> = (s) => ({
  listEvents: async ({ query }, reply, request) => {
    const vmId = query?.target === undefined ? undefined : await s.vms.idForEvents(query.target);
    const wantsStream = (request.headers.accept ?? '').includes('text/event-stream') || query?.follow === true;
    if (!wantsStream)
      return query?.since !== undefined ? s.events.list(query.since, query.limit ?? 1000, vmId) : s.events.recent(query?.limit ?? 100, vmId);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    // HEAD asks for the headers only (Node sends them at the end of a HEAD answer): no stream.
    if (request.method === 'HEAD') {
      raw.end();
      return reply;
    }
    raw.write('retry: 2000\n\n');
    const send = (e: HerdEvent) => raw.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
    // Subscribe before replaying so nothing falls between the replay and the live stream.
    const buffered: HerdEvent[] = [];
    let live = false;
    // The live stream shows what the request's project may see, as the replay does.
    const scope = requestScope(request);
    const project = scope?.project?.id;
    const unsubscribe = s.events.subscribe((e, projectId) => {
      if (project !== undefined && projectId !== project && !(projectId === null && scope?.principal.clusterAdmin)) return;
      if (vmId !== undefined && !isEventOfVm(e, vmId)) return;
      if (live) send(e);
      else buffered.push(e);
    });
    let last = query?.since ?? Number(request.headers['last-event-id'] ?? NaN);
    if (Number.isFinite(last))
      for (const e of await s.events.list(last, 10_000, vmId)) {
        send(e);
        last = e.seq;
      }
    for (const e of buffered) if (!Number.isFinite(last) || e.seq > last) send(e);
    live = true;
    const ping = setInterval(() => raw.write(': ping\n\n'), 15_000);
    request.raw.on('close', () => {
      clearInterval(ping);
      unsubscribe();
    });
    return reply;
  },
});
