/**
 * `GET /vms/{id}/console`: without an upgrade, the console log as text; as a WebSocket, the
 * live console both ways: recent output first, then every new byte; what the client sends is
 * typed into the guest's serial port.
 */
import type { WebSocket } from 'ws';
import type { FastifyRequest } from 'fastify';
import type { HandlerGroup } from '../handler.js';
import type { Services } from '../services.js';

/** The console log route. */
export const consoleHandlers: HandlerGroup<'getVmConsole'> = (s) => ({
  getVmConsole: async ({ params, query }, reply) => {
    const vm = await s.vms.find(params.id);
    reply.type('text/plain; charset=utf-8');
    return s.consoles.get(vm.id).tail(query?.bytes ?? 65536).toString('utf8');
  },
});

/** The WebSocket side of the console route. */
export function consoleSocket(s: Services) {
  return async (socket: WebSocket, request: FastifyRequest): Promise<void> => {
    const ref = (request.params as { id: string }).id;
    let vmId: string;
    try {
      vmId = (await s.vms.find(ref)).id;
    } catch (e) {
      socket.close(4404, e instanceof Error ? e.message.slice(0, 120) : 'not found');
      return;
    }
    const hub = s.consoles.get(vmId);
    const unsubscribe = hub.subscribe((chunk) => {
      if (socket.readyState === socket.OPEN) socket.send(chunk);
    });
    socket.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      hub.write(buf);
    });
    socket.on('close', unsubscribe);
  };
}
