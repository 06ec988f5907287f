/**
 * Tickets that open a VM's graphical console. A browser cannot put a header on a WebSocket, and a
 * WebSocket is not held back by the same-origin rules a fetch() is, so the console socket takes a
 * ticket in its URL instead: 32 random bytes, bound to one VM, spent by its first use and void
 * after a short while. They live in memory only; a daemon restart voids them, which costs a
 * client one more request.
 */
import { randomBytes } from 'node:crypto';
import { consoleTicketSeconds } from '@herd/api';

/** What redeeming a ticket found: `ok`, or why it does not open this VM's console. */
export type TicketCheck = 'ok' | 'unknown' | 'expired' | 'wrong-vm' | 'wrong-console';

/** Options of {@link ConsoleTickets}; tests pass a clock. */
export interface ConsoleTicketOptions {
  readonly ttlMs?: number;
  readonly now?: () => number;
  /** Most tickets outstanding at once; issuing more drops the oldest. */
  readonly max?: number;
}

/** Which console a ticket opens. */
export type ConsoleKind = 'vnc' | 'serial';

/** Whom a ticket was issued to, and for what. */
export interface TicketHolder {
  /** The user it was issued to; null for root on the local socket. */
  readonly userId: string | null;
  /** The project the VM belongs to. */
  readonly projectId: string;
  readonly console: ConsoleKind;
}

interface Issued extends TicketHolder {
  readonly vmId: string;
  readonly expiresAt: number;
}

/** The tickets of this daemon. Create once; every method may be called at any time. */
export class ConsoleTickets {
  readonly #tickets = new Map<string, Issued>();
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #max: number;

  constructor(options: ConsoleTicketOptions = {}) {
    this.#ttlMs = options.ttlMs ?? consoleTicketSeconds * 1000;
    this.#now = options.now ?? Date.now;
    this.#max = options.max ?? 10_000;
  }

  /** A new ticket for VM `vmId` (base64url, 43 characters) and when it expires (ms since the epoch). */
  issue(vmId: string, holder: TicketHolder): { ticket: string; expiresAt: number } {
    const now = this.#now();
    this.#sweep(now);
    // Map keeps insertion order, so the first key is the oldest ticket.
    while (this.#tickets.size >= this.#max) this.#tickets.delete(this.#tickets.keys().next().value!);
    const ticket = randomBytes(32).toString('base64url');
    const expiresAt = now + this.#ttlMs;
    this.#tickets.set(ticket, { ...holder, vmId, expiresAt });
    return { ticket, expiresAt };
  }

  /** Whom an outstanding, unexpired `ticket` was issued to, without spending it (to authenticate the request that brings it). */
  holder(ticket: string): TicketHolder | undefined {
    const issued = this.#tickets.get(ticket);
    return issued && this.#now() < issued.expiresAt ? issued : undefined;
  }

  /**
   * Spends `ticket` and says whether it opened `console` of VM `vmId`. Any use spends it, a
   * wrong one too, so that a ticket seen by someone else is worth one try at most.
   */
  redeem(ticket: string, vmId: string, console: ConsoleKind = 'vnc'): TicketCheck {
    const issued = this.#tickets.get(ticket);
    if (!issued) return 'unknown';
    this.#tickets.delete(ticket);
    if (this.#now() >= issued.expiresAt) return 'expired';
    if (issued.vmId !== vmId) return 'wrong-vm';
    return issued.console === console ? 'ok' : 'wrong-console';
  }

  /** Tickets outstanding (issued, not spent, not yet swept). */
  get size(): number {
    return this.#tickets.size;
  }

  #sweep(now: number): void {
    for (const [ticket, issued] of this.#tickets) if (now >= issued.expiresAt) this.#tickets.delete(ticket);
  }
}
