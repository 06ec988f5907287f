/**
 * `GET /vms/{id}/console`: without an upgrade, the console log as text; as a WebSocket, the
 * live console both ways: recent output first, then every new byte; what the client sends is
 * typed into the guest's serial port.
 */
import type { WebSocket } from 'ws';
import type { FastifyRequest } from 'fastify';
import type { HandlerGroup, WebSocketRoute } from '../handler.js';
import type { Services } from '../services.js';

/** The console log route. */
export const consoleHandlers: HandlerGroup<'getVmConsole'> = (s) => ({
  getVmConsole: async ({ params, query }, reply) => {
    const vm = await s.vms.find(params.id);
    reply.type('text/plain; charset=utf-8');
    return s.consoles.get(vm.id).tail(query?.bytes ?? 65536).toString('utf8');
  },
});

/**
 * The WebSocket side of the console route: a single-use serial console ticket is spent before
 * the upgrade (a refusal is a plain JSON error), then the stream runs.
 */
export function consoleSocket(s: Services): WebSocketRoute {
  const admitted = new WeakMap<FastifyRequest, string>();
  return {
    admit: async (request) => {
      if (!request.ws) return;
      const { id } = request.params as { id: string };
      const { ticket } = (request.query ?? {}) as { ticket?: string };
      admitted.set(request, (await s.vnc.spend(id, ticket, 'serial')).id);
    },
    handler: async (socket: WebSocket, request: FastifyRequest) => {
      const vmId = admitted.get(request);
      if (!vmId) return socket.close(1008, 'not admitted');
      stream(s, socket, vmId);
    },
  };
}

function stream(s: Services, socket: WebSocket, vmId: string): void {
  const hub = s.consoles.get(vmId);
  const unsubscribe = hub.subscribe((chunk) => {
    if (socket.readyState === socket.OPEN) socket.send(chunk);
  });
  socket.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    hub.write(buf);
  });
  socket.on('close', unsubscribe);
}
