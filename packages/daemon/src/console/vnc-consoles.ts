/**
 * The graphical console use cases behind the API: hand out a ticket for a VM whose display is
 * up, admit a WebSocket that brings one, and relay it to the VM's VNC socket. The HTTP layer
 * calls only this; the socket work is in vnc-relay.ts.
 */
import { existsSync } from 'node:fs';
import { HerdError, type ConsoleTicket } from '@herd/api';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { DataPaths } from '../paths.js';
import { vncSocketPath } from '../qemu/launch-spec.js';
import type { VmRow } from '../store/schema.js';
import type { VmRepo } from '../vm/vm-repo.js';
import { currentScope, owningProjectId } from '../tenancy/request-scope.js';
import type { ConsoleKind, ConsoleTickets } from './console-tickets.js';
import { relayVnc } from './vnc-relay.js';

/** What {@link VncConsoles} needs. */
export interface VncConsolesDeps {
  readonly vms: VmRepo;
  readonly paths: DataPaths;
  readonly tickets: ConsoleTickets;
  readonly log: Logger;
}

/** A WebSocket admitted to a VM's display: where to relay it. */
export interface VncSession {
  readonly vmId: string;
  readonly vmName: string;
  readonly socketPath: string;
}

/** Graphical consoles. One per daemon. */
export class VncConsoles {
  readonly #d: VncConsolesDeps;

  constructor(deps: VncConsolesDeps) {
    this.#d = deps;
  }

  /**
   * A ticket for the caller to open `console` of VM `ref` (the display: display_unavailable when
   * it has none up now), bound to the VM and to the calling user.
   */
  async issueTicket(ref: string, console: ConsoleKind = 'vnc'): Promise<ConsoleTicket> {
    const row = await this.#d.vms.find(ref);
    if (console === 'vnc') this.#socketOf(row);
    const userId = currentScope()?.principal.userId ?? null;
    const { ticket, expiresAt } = this.#d.tickets.issue(row.id, { userId, projectId: row.project_id ?? owningProjectId(), console });
    return { ticket, expiresAt: new Date(expiresAt).toISOString() };
  }

  /**
   * Spends `ticket` on VM `ref`'s display. Call before the WebSocket upgrade, so a refusal is a
   * plain HTTP error: ticket_invalid (401) when missing, unknown, used or expired, ticket_wrong_vm
   * (403) when it was issued for another VM, display_unavailable (409) when the display is down.
   */
  async admit(ref: string, ticket: string | undefined): Promise<VncSession> {
    const row = await this.spend(ref, ticket, 'vnc');
    return { vmId: row.id, vmName: row.name, socketPath: this.#socketOf(row) };
  }

  /** Spends `ticket` on `console` of VM `ref` and returns the VM; the errors of {@link admit}. */
  async spend(ref: string, ticket: string | undefined, console: ConsoleKind): Promise<VmRow> {
    const row = await this.#d.vms.find(ref);
    if (!ticket) throw new HerdError('ticket_invalid', { reason: 'is missing (?ticket=)', name: row.name });
    const check = this.#d.tickets.redeem(ticket, row.id, console);
    if (check === 'wrong-vm') throw new HerdError('ticket_wrong_vm', { name: row.name });
    if (check === 'wrong-console')
      throw new HerdError('ticket_invalid', { reason: `opens the other console of this VM, not the ${console === 'vnc' ? 'graphical' : 'serial'} one; ask for one with console: ${console}`, name: row.name });
    if (check !== 'ok') throw new HerdError('ticket_invalid', { reason: check === 'expired' ? 'has expired' : 'is unknown or was already used', name: row.name });
    return row;
  }

  /** Whom `ticket` was issued to, without spending it; undefined when it is unknown or expired. */
  holder(ticket: string) {
    return this.#d.tickets.holder(ticket);
  }

  /** Relays an admitted WebSocket to the VM's VNC server until either side closes. */
  relay(ws: WebSocket, session: VncSession): void {
    this.#d.log.info({ vm: session.vmName, vmId: session.vmId }, 'graphical console opened');
    ws.once('close', () => this.#d.log.info({ vm: session.vmName, vmId: session.vmId }, 'graphical console closed'));
    relayVnc(ws, session.socketPath, this.#d.log);
  }

  /** The VM's VNC socket, or display_unavailable saying what to do. */
  #socketOf(row: VmRow): string {
    const unavailable = (reason: string) => new HerdError('display_unavailable', { name: row.name, reason });
    if (row.display !== 'vnc')
      throw unavailable(`its display is none; set it to vnc (\`herd vm set ${row.name} --display vnc\`, or PATCH /api/v1/vms/${row.name}) and restart it`);
    if (row.state !== 'running' && row.state !== 'paused') throw unavailable(`it is ${row.state}; start it first`);
    const path = vncSocketPath(this.#d.paths.runDir(row.id));
    // The display is set when QEMU starts: a VM switched to vnc while running gets it at its next start.
    if (!existsSync(path)) throw unavailable('its QEMU was started before the display was set to vnc; restart the VM');
    return path;
  }
}
