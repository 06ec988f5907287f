/**
 * Graphical consoles: a VM's display (`none`, or a VNC server QEMU keeps on a unix socket), the
 * single-use tickets that open it, and the WebSocket that carries its RFB stream to a browser.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Timestamp } from './common.js';

/** The display kinds, in one list: the type, the schema and the UI's choices come from it. */
export const vmDisplays = ['none', 'vnc'] as const;

/** A VM's display: `none` (serial console only), or `vnc` (a VGA card, shown through VNC). */
export const VmDisplay = Type.Union(
  vmDisplays.map((d) => Type.Literal(d)),
  { description: 'none: serial console only; vnc: a VGA card whose screen the graphical console shows (applies at the next start)' },
);
/** A VM's display. */
export type VmDisplay = (typeof vmDisplays)[number];

/** How long a console ticket is valid, in seconds. */
export const consoleTicketSeconds = 30;

/** Answer of `POST /vms/{id}/console-tickets`. */
export const ConsoleTicket = Type.Object(
  {
    ticket: Type.String({ description: `opens the console of this VM it was asked for once, within ${consoleTicketSeconds} s, for the user who asked: GET /vms/{id}/vnc?ticket=... or /vms/{id}/console?ticket=...` }),
    expiresAt: Timestamp,
  },
  { $id: 'ConsoleTicket' },
);
/** A console ticket. */
export type ConsoleTicket = Static<typeof ConsoleTicket>;

/** `GET /vms/{id}/vnc` (a WebSocket upgrade). */
export const VncQuery = Type.Object(
  { ticket: Type.Optional(Type.String({ maxLength: 100, description: 'a ticket from POST /vms/{id}/console-tickets' })) },
  { additionalProperties: false },
);

/** Body of `POST /vms/{id}/console-tickets`. */
export const ConsoleTicketCreate = Type.Object(
  {
    console: Type.Optional(
      Type.Union([Type.Literal('vnc'), Type.Literal('serial')], {
        description: 'vnc (default): the graphical console, GET /vms/{id}/vnc; serial: the serial console WebSocket, GET /vms/{id}/console',
      }),
    ),
  },
  { additionalProperties: false },
);
