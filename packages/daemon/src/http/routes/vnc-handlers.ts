/**
 * The graphical console: `POST /vms/{id}/console-tickets` hands out a single-use ticket, and
 * `GET /vms/{id}/vnc?ticket=` spends it before the WebSocket upgrade (so a refusal is a plain
 * JSON error, 401 or 403), then the service relays the socket to the VM's VNC server.
 */
import { HerdError } from '@herd/api';
import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { VncSession } from '../../console/vnc-consoles.js';
import type { HandlerGroup, WebSocketRoute } from '../handler.js';
import type { Services } from '../services.js';

/** The ticket route, and the plain-HTTP side of the VNC route (which only says to upgrade). */
export const vncHandlers: HandlerGroup<'createConsoleTicket' | 'getVmVnc'> = (s) => ({
  createConsoleTicket: async ({ params, body }, reply) => reply.code(201).send(await s.vnc.issueTicket(params.id, body.console ?? 'vnc')),
  getVmVnc: async ({ params }) => {
    // An unknown VM (or another project's) is 404 first, as for every other route.
    await s.vms.find(params.id);
    throw new HerdError('websocket_required', { path: `GET /api/v1/vms/${params.id}/vnc` });
  },
});

/** The WebSocket side of the VNC route: admission before the upgrade, then the relay. */
export function vncSocket(s: Services): WebSocketRoute {
  const admitted = new WeakMap<FastifyRequest, VncSession>();
  return {
    admit: async (request) => {
      // A plain GET gets websocket_required from the handler, and spends no ticket.
      if (!request.ws) return;
      const { id } = request.params as { id: string };
      const { ticket } = (request.query ?? {}) as { ticket?: string };
      admitted.set(request, await s.vnc.admit(id, ticket));
    },
    handler: async (socket: WebSocket, request: FastifyRequest) => {
      const session = admitted.get(request);
      // Not reached without admission (the upgrade happens after it); 1008: policy violation.
      if (!session) return socket.close(1008, 'not admitted');
      s.vnc.relay(socket, session);
    },
  };
}
