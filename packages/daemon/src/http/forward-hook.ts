/**
 * Any host serves the whole API: a request that must run where its VM runs (forward-routes.ts)
 * is relayed to that host once the caller is authenticated and authorized here, so a stranger
 * is never relayed, and the local handler does not run. Console WebSockets are the exception:
 * their ticket lives on the VM's host, which issued it, so their upgrade is relayed before
 * authentication and that host checks it. A relayed request is never relayed again: a host
 * that is not the VM's host either (the VM moved meanwhile) answers vm_moved, and the caller
 * retries.
 */
import { Readable } from 'node:stream';
import { HerdError } from '@herd/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { rootActor, type ForwardClaim } from '../cluster/forward-signature.js';
import type { VmOwner } from '../cluster/forwarder.js';
import { runInScope, type Principal } from '../tenancy/request-scope.js';
import { forwardClaimOf, isTicketRoute } from './auth-hooks.js';
import { forwardRoutes, ownerRefOf, type OwnerRef } from './forward-routes.js';
import { requestScope, routeIdOf } from './request-scope-of.js';
import type { Services } from './services.js';

/** The response header that names the host that served a request (relayed answers carry the VM host's). */
export const servedByHeader = 'x-herd-served-by';

const rawBodies = new WeakMap<FastifyRequest, Buffer>();
const relayed = new WeakSet<FastifyRequest>();

/**
 * Whether `request` was answered by another host: that host records it in the audit log, as
 * the same caller, and this one does not record it twice.
 */
export function wasRelayed(request: FastifyRequest): boolean {
  return relayed.has(request);
}

/** Adds the forwarding hooks to `app`; call before registerAuth, so that console upgrades are relayed before local authentication. */
export function registerForwarding(app: FastifyInstance, s: Services): void {
  const f = s.forwarder;
  app.addHook('onSend', async (_request, reply) => {
    reply.header(servedByHeader, f.hostName);
  });
  if (!f.clustered) return;

  app.addHook('onRequest', async (request, reply) => {
    const id = routeIdOf(request);
    if (!id || !request.ws || !isTicketRoute(id)) return;
    const claim = forwardClaimOf(request, s);
    // No caller is known yet: any VM may be found, and its host decides on the ticket.
    const owner = await f.ownerOf((request.params as { id?: string }).id ?? '');
    if (!owner || owner.local) return;
    if (claim) throw moved(owner, claim, f.hostName);
    await f.forwardUpgrade(request, reply, await f.peerOf(owner), app.websocketServer, owner.vmName);
    relayed.add(request);
    return reply;
  });

  // The body is relayed byte for byte, so it is kept as it arrives, on routes that may relay.
  app.addHook('preParsing', async (request, _reply, payload) => {
    const id = routeIdOf(request);
    if (!id || forwardRoutes[id].to === 'local' || request.method === 'GET' || request.method === 'HEAD') return payload;
    const body = await readAll(payload, app.initialConfig.bodyLimit ?? 1024 * 1024);
    rawBodies.set(request, body);
    return Readable.from(body.length ? [body] : [], { objectMode: false });
  });

  app.addHook('preHandler', async (request, reply) => {
    const id = routeIdOf(request);
    const scope = requestScope(request);
    if (!id || !scope || request.ws) return;
    const ref = ownerRefOf(forwardRoutes[id], request.params, request.body);
    if (!ref) return;
    // In the caller's scope: a VM of another project is not found here, and the local handler
    // answers not_found as on a single host.
    const owner = await runInScope(scope, () => ownerOf(s, ref));
    if (!owner || owner.local) return;
    const claim = forwardClaimOf(request, s);
    if (claim) throw moved(owner, claim, f.hostName);
    const host = await f.peerOf(owner);
    const body = rawBodies.get(request);
    await f.forward(request, reply, host, { actingUser: actorOf(scope.principal), vm: owner.vmName, ...(body !== undefined && { body }) });
    // Marked once the answer comes from there (it is recorded there); a failure to get one is this host's answer.
    relayed.add(request);
    return reply;
  });
}

function ownerOf(s: Services, ref: OwnerRef): Promise<VmOwner | undefined> {
  switch (ref.kind) {
    case 'vm':
      return s.forwarder.ownerOf(ref.ref);
    case 'volume':
      return s.forwarder.ownerOfVolume(ref.ref);
    case 'backup':
      return s.forwarder.ownerOfBackup(ref.ref);
    case 'host':
      return Promise.resolve(s.forwarder.hostAsOwner(ref.ref));
  }
}

// Root on this host's local socket has no user id; the VM's host serves it as root as well.
function actorOf(principal: Principal): string {
  return principal.userId ?? rootActor;
}

function moved(owner: VmOwner, claim: ForwardClaim, here: string): HerdError {
  return new HerdError('vm_moved', { vm: owner.vmName, host: owner.host, here, from: claim.by });
}

async function readAll(payload: NodeJS.ReadableStream, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of payload) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += b.length;
    if (size > limit) throw new HerdError('bad_request', { reason: `the request body is larger than ${limit} bytes` });
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}
