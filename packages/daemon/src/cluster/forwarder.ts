/**
 * Requests that must run where a VM runs (its QEMU, QMP socket, console log and VNC socket
 * exist only on its host) reach that host through this module, whichever host the caller
 * asked: it finds the VM's host in the database, checks that the host is alive, and relays the
 * request there signed as the same caller (forward-signature.ts), over HTTPS that trusts
 * exactly the cluster's CA. Hosts also call each other through it on their own behalf.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream/promises';
import { HerdError, projectHeader } from '@herd/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { WebSocket, type WebSocketServer } from 'ws';
import { dbNow } from '../store/db-clock.js';
import type { Db } from '../store/open-database.js';
import { whereVisible } from '../tenancy/visibility.js';
import { isUuid } from '../util/uuid.js';
import { hostActor, type ForwardSigner } from './forward-signature.js';
import { relayWebSockets } from './ws-relay.js';

/** What a {@link Forwarder} needs. */
export interface ForwarderDeps {
  readonly db: Db;
  /** This host's name in the cluster (`hosts.name`, what `vms.host` holds for its VMs). */
  readonly hostName: string;
  readonly signer: ForwardSigner;
  /** The cluster's CA certificate (PEM), the only one host-to-host HTTPS trusts; without it only http:// hosts are reached. */
  readonly ca?: string;
  /** False on a single host: every VM runs here, whatever name its row was created under. */
  readonly clustered: boolean;
  readonly log: Logger;
}

/** Where a VM runs. */
export interface VmOwner {
  readonly vmId: string;
  readonly vmName: string;
  /** The name of the host that runs it (`vms.host`). */
  readonly host: string;
  /** True when that is this host. */
  readonly local: boolean;
}

/** A live host of the cluster and the base URL it serves its API on (`--advertise`). */
export interface PeerHost {
  readonly name: string;
  readonly address: string;
  /** Its last heartbeat, for messages. */
  readonly heartbeatAt: string;
}

/** What a host answered to {@link Forwarder.call}. */
export interface CallResult {
  readonly status: number;
  /** The body: parsed JSON, or text. */
  readonly body: unknown;
}

/** Giving up on a host that does not take the connection: a dead host should cost the caller seconds, not minutes. */
const connectTimeoutMs = 5_000;
/** A refusal of a WebSocket upgrade is relayed to the caller up to this size. */
const maxRefusalBytes = 64 * 1024;

// Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection and are not relayed.
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** Finds VMs' hosts and relays requests to them. One per daemon; call {@link close} at shutdown. */
export class Forwarder {
  readonly #d: ForwarderDeps;
  // Keep-alive: a host relays to the same few peers all day.
  readonly #http = new HttpAgent({ keepAlive: true });
  readonly #https: HttpsAgent;

  constructor(deps: ForwarderDeps) {
    this.#d = deps;
    this.#https = new HttpsAgent({ keepAlive: true, ...(deps.ca !== undefined && { ca: deps.ca }) });
  }

  /** This host's name. */
  get hostName(): string {
    return this.#d.hostName;
  }

  /** Whether VMs may run on other hosts (cluster mode); when false, nothing is ever forwarded. */
  get clustered(): boolean {
    return this.#d.clustered;
  }

  /**
   * Where VM `ref` (an id or a name) runs; undefined when there is no such VM. Inside a request
   * scope only the VMs of the request's project are found, so a caller learns nothing of
   * others' VMs (not even which host is down). A VM being live-migrated is still on its source
   * host until the switch-over moves `vms.host`, which is where its QEMU answers until then.
   */
  async ownerOf(ref: string): Promise<VmOwner | undefined> {
    const q = whereVisible(this.#d.db.selectFrom('vms').select(['id', 'name', 'host']));
    return this.#owner(await (isUuid(ref) ? q.where('id', '=', ref.toLowerCase()) : q.where('name', '=', ref)).executeTakeFirst());
  }

  /**
   * Host `name` as the owner of a request about itself (`local` is this host); peerOf then
   * says whether it is up. The VM fields are empty: no VM is involved.
   */
  hostAsOwner(name: string): VmOwner {
    const host = name === 'local' ? this.#d.hostName : name;
    return { vmId: '', vmName: '', host, local: !this.#d.clustered || host === this.#d.hostName };
  }

  /** Where the VM that volume `ref` is attached to runs; undefined when it is attached to none (or does not exist). */
  async ownerOfVolume(ref: string): Promise<VmOwner | undefined> {
    const q = whereVisible(this.#d.db.selectFrom('volumes').select('vm_id').where('role', '!=', 'layer'));
    const row = await (isUuid(ref) ? q.where('id', '=', ref.toLowerCase()) : q.where('name', '=', ref)).executeTakeFirst();
    return row?.vm_id ? this.#ownerById(row.vm_id) : undefined;
  }

  /**
   * Where the VM that backup `ref` (an id or its archive path) was taken of runs: the archive
   * was written there. Undefined when the backup or that VM no longer exists.
   */
  async ownerOfBackup(ref: string): Promise<VmOwner | undefined> {
    const q = whereVisible(this.#d.db.selectFrom('backups').select('vm_id'));
    const row = await (isUuid(ref) ? q.where('id', '=', ref.toLowerCase()) : q.where('path', '=', ref)).executeTakeFirst();
    return row ? this.#ownerById(row.vm_id) : undefined;
  }

  /**
   * The host `owner` runs on, when it is alive: registered with an address, online, and within
   * its lease (by the database's clock, which all hosts share). Throws host_unavailable naming
   * the VM, the host and its last heartbeat otherwise.
   */
  async peerOf(owner: Pick<VmOwner, 'host' | 'vmName'>): Promise<PeerHost> {
    const row = await this.#d.db.selectFrom('hosts').select(['name', 'address', 'status', 'heartbeat_at', 'lease_expires_at']).where('name', '=', owner.host).executeTakeFirst();
    const down = (reason: string) => new HerdError('host_unavailable', { vm: owner.vmName, host: owner.host, reason, heartbeatAt: row?.heartbeat_at ?? 'never' });
    if (!row) throw down('is not registered in the cluster');
    if (!row.address) throw down('advertises no address to reach it at (start herd there with --advertise URL)');
    if (row.status === 'offline') throw down('is offline (its lease ran out and it was fenced)');
    if (Date.parse(row.lease_expires_at) <= (await dbNow(this.#d.db)).getTime()) throw down(`missed its heartbeats (its lease ran out at ${row.lease_expires_at})`);
    return { name: row.name, address: row.address, heartbeatAt: row.heartbeat_at };
  }

  /**
   * Relays `request` to `host` as `actingUser` (a user id, or forward-signature.ts's root or
   * host actors) and streams the answer back through `reply`, which it takes over. `body` is
   * the request body exactly as it arrived. Call from a hook before the handler; throws
   * host_unavailable (naming `vm`) when the host cannot be reached, before anything was sent.
   */
  async forward(request: FastifyRequest, reply: FastifyReply, host: PeerHost, options: { readonly actingUser: string; readonly body?: Buffer; readonly vm: string }): Promise<void> {
    const target = new URL(request.url, host.address);
    const project = single(request.headers[projectHeader]);
    const headers: OutgoingHttpHeaders = {
      ...pick(request.headers, ['content-type', 'accept']),
      ...(project !== undefined && { [projectHeader]: project }),
      ...(options.body !== undefined && { 'content-length': options.body.length }),
      ...this.#sign(request.method, target, options.actingUser, project),
    };
    // A caller that hangs up while the host works on a long request (?wait=true) stops the wait
    // there too; what it started goes on.
    const gone = new AbortController();
    const hangUp = () => gone.abort();
    reply.raw.once('close', hangUp);
    let res: IncomingMessage;
    try {
      res = await this.#send(target, request.method, headers, options.body, gone.signal);
    } catch (e) {
      throw unreachable(options.vm, host, e);
    } finally {
      reply.raw.off('close', hangUp);
    }
    this.#d.log.debug({ vm: options.vm, host: host.name, method: request.method, url: request.url, status: res.statusCode }, "forwarded a request to the VM's host");
    reply.hijack();
    reply.raw.writeHead(res.statusCode ?? 502, relayedHeaders(res.headers));
    // A caller that hangs up, or a host that dies mid-answer, ends both connections; there is
    // nobody left to tell.
    pipeline(res, reply.raw).catch(() => res.destroy());
  }

  /**
   * Relays a WebSocket upgrade to `host`, where the caller's ticket (or token) is checked:
   * opens the WebSocket there first, then accepts the caller's on `wss` and joins the two. A
   * refusal there (401, 403, 404, ...) reaches the caller as it was. Call from an onRequest
   * hook; throws host_unavailable (naming `vm`) when the host cannot be reached.
   */
  async forwardUpgrade(request: FastifyRequest, reply: FastifyReply, host: PeerHost, wss: WebSocketServer, vm: string): Promise<void> {
    const target = new URL(request.url, host.address);
    target.protocol = target.protocol === 'https:' ? 'wss:' : 'ws:';
    const project = single(request.headers[projectHeader]);
    const authorization = single(request.headers.authorization);
    // No acting user: the owner authenticates the caller itself, by the ticket it issued.
    const headers = { ...this.#sign('GET', target, '', project), ...(project !== undefined && { [projectHeader]: project }), ...(authorization !== undefined && { authorization }) };
    const protocols = (single(request.headers['sec-websocket-protocol']) ?? '').split(',').map((p) => p.trim()).filter(Boolean);
    const upstream = new WebSocket(target, protocols, { headers, handshakeTimeout: connectTimeoutMs, perMessageDeflate: false, ...(this.#d.ca !== undefined && { ca: this.#d.ca }) });
    const status = await new Promise<number>((resolve, reject) => {
      upstream.once('open', () => {
        reply.hijack();
        // Joined within this event: the far end may have sent its first message (the console's
        // recent output) along with its 101, and ws delivers it on the next tick. A WebSocket
        // client sends nothing before its 101 (RFC 6455 §4.1), so no bytes follow the request.
        wss.handleUpgrade(request.raw, request.raw.socket, Buffer.alloc(0), (client) => relayWebSockets(client, upstream));
        // The caller hung up meanwhile: ws drops its socket without a word, so end the far side too.
        if (request.raw.socket.destroyed) upstream.terminate();
        resolve(101);
      });
      upstream.once('unexpected-response', (_req, res) => {
        reply.hijack();
        relayRefusal(res, reply, () => upstream.terminate());
        resolve(res.statusCode ?? 502);
      });
      upstream.once('error', (e) => {
        upstream.terminate();
        reject(unreachable(vm, host, e));
      });
    });
    this.#d.log.debug({ vm, host: host.name, url: request.url, status }, "forwarded a WebSocket to the VM's host");
  }

  /**
   * Calls `path` (with its query, e.g. `/api/v1/vms/x`) on host `hostName` on this host's own
   * behalf, as a cluster administrator there, with `body` as JSON. Answers the status and the
   * parsed body, errors included; throws host_unavailable when the host is down or cannot be
   * reached. For host-to-host work such as live migration.
   */
  async call(hostName: string, method: string, path: string, body?: unknown): Promise<CallResult> {
    const host = await this.peerOf({ host: hostName, vmName: '' });
    const target = new URL(path, host.address);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: OutgoingHttpHeaders = {
      accept: 'application/json',
      ...(payload !== undefined && { 'content-type': 'application/json', 'content-length': payload.length }),
      ...this.#sign(method, target, hostActor(this.#d.hostName), undefined),
    };
    let res: IncomingMessage;
    try {
      res = await this.#send(target, method, headers, payload);
    } catch (e) {
      throw unreachable('', host, e);
    }
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const json = /\bjson\b/.test(res.headers['content-type'] ?? '');
    return { status: res.statusCode ?? 502, body: json && text !== '' ? (JSON.parse(text) as unknown) : text };
  }

  /** Closes idle connections to other hosts. Call once, at shutdown. */
  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }

  async #ownerById(id: string): Promise<VmOwner | undefined> {
    return this.#owner(await this.#d.db.selectFrom('vms').select(['id', 'name', 'host']).where('id', '=', id).executeTakeFirst());
  }

  #owner(row: { id: string; name: string; host: string } | undefined): VmOwner | undefined {
    if (!row) return undefined;
    // A VM not placed yet has no host; this host serves it from the database.
    const local = !this.#d.clustered || row.host === '' || row.host === this.#d.hostName;
    return { vmId: row.id, vmName: row.name, host: row.host, local };
  }

  #sign(method: string, target: URL, actingUser: string, project: string | undefined): Record<string, string> {
    // Signed as it goes on the request line, which is what the receiver checks.
    return this.#d.signer.headers({ method, url: target.pathname + target.search, by: this.#d.hostName, actingUser, ...(project !== undefined && { project }), time: Date.now() });
  }

  /**
   * Sends a request and resolves with the response head; rejects when no connection is made
   * within 5 s. A kept-alive connection that the host closed just as it was reused is retried
   * once on a new one (the host never saw the request: it closes only idle connections).
   */
  async #send(target: URL, method: string, headers: OutgoingHttpHeaders, body: Buffer | undefined, signal?: AbortSignal): Promise<IncomingMessage> {
    try {
      return await this.#sendOnce(target, method, headers, body, signal);
    } catch (e) {
      if (!(e instanceof StaleConnection)) throw e;
      return this.#sendOnce(target, method, headers, body, signal);
    }
  }

  #sendOnce(target: URL, method: string, headers: OutgoingHttpHeaders, body: Buffer | undefined, signal?: AbortSignal): Promise<IncomingMessage> {
    const secure = target.protocol === 'https:';
    if (!secure && target.protocol !== 'http:') return Promise.reject(new Error(`the address ${target.origin} is neither http nor https`));
    const send = secure ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(target, { method, headers, agent: secure ? this.#https : this.#http, ...(signal && { signal }) }, resolve);
      req.on('error', (e: NodeJS.ErrnoException) => reject(req.reusedSocket && e.code === 'ECONNRESET' ? new StaleConnection() : e));
      req.on('socket', (socket) => {
        // A kept-alive connection is up already; only a new one can hang on a dead host.
        if (!socket.connecting) return;
        const timer = setTimeout(() => req.destroy(new Error(`no connection within ${connectTimeoutMs / 1000} s`)), connectTimeoutMs);
        socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(timer));
        socket.once('close', () => clearTimeout(timer));
      });
      req.end(body);
    });
  }
}

/** A kept-alive connection that was closed under a request about to be sent on it. */
class StaleConnection extends Error {}

function unreachable(vm: string, host: PeerHost, e: unknown): HerdError {
  return new HerdError('host_unavailable', { vm, host: host.name, reason: `cannot be reached at ${host.address}: ${e instanceof Error ? e.message : String(e)}`, heartbeatAt: host.heartbeatAt });
}

/** Writes a refused upgrade's status, headers and (bounded) body to the caller, then closes both. */
function relayRefusal(res: IncomingMessage, reply: FastifyReply, done: () => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= maxRefusalBytes) chunks.push(chunk);
  });
  res.on('error', done);
  res.on('end', () => {
    const body = Buffer.concat(chunks);
    reply.raw.writeHead(res.statusCode ?? 502, { ...relayedHeaders(res.headers), 'content-length': body.length, connection: 'close' });
    reply.raw.end(body);
    done();
  });
}

function relayedHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([k, v]) => v !== undefined && !hopByHop.has(k)));
}

function pick(headers: IncomingHttpHeaders, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = single(headers[n]);
    if (v !== undefined) out[n] = v;
  }
  return out;
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
