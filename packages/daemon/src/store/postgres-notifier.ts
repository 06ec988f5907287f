/**
 * The notifier of a cluster: PostgreSQL's LISTEN/NOTIFY. Notifications go out through the
 * database's pool (`pg_notify`); they are heard on one dedicated connection, because a LISTEN
 * belongs to the session that issued it and pooled sessions come and go. When that connection
 * fails it is replaced, with a growing pause between attempts, every channel is LISTENed again,
 * and listeners are told to read what they missed.
 */
import pg from 'pg';
import { sql } from 'kysely';
import { hear } from './local-notifier.js';
import type { Notifier } from './notifier.js';
import type { Db } from './open-database.js';

interface Subscription {
  readonly fn: (payload: string) => void;
  readonly onReconnect: (() => void) | undefined;
}

const firstRetryMs = 250;
const maxRetryMs = 10_000;

/** LISTEN/NOTIFY on the database `db` was opened on (`url`). Made by openNotifier. */
export class PostgresNotifier implements Notifier {
  readonly #db: Db;
  readonly #url: string;
  readonly #channels = new Map<string, Set<Subscription>>();
  /** The channels LISTENed on the current connection. */
  readonly #heard = new Set<string>();
  #waiters: (() => void)[] = [];
  #client: pg.Client | undefined;
  #live = false;
  /** A connection failed or was lost since the last live one: listeners may have missed notifications. */
  #missed = false;
  #failures = 0;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(db: Db, url: string) {
    this.#db = db;
    this.#url = url;
  }

  async notify(channel: string, payload: string): Promise<void> {
    if (this.#closed) return;
    await sql`SELECT pg_notify(${channel}, ${payload})`.execute(this.#db);
  }

  listen(channel: string, fn: (payload: string) => void, onReconnect?: () => void): () => void {
    const sub: Subscription = { fn, onReconnect };
    let set = this.#channels.get(channel);
    if (!set) {
      set = new Set();
      this.#channels.set(channel, set);
      this.#command('LISTEN', channel);
    }
    set.add(sub);
    this.#connect();
    const own = set;
    return () => {
      own.delete(sub);
      if (own.size > 0 || this.#channels.get(channel) !== own) return;
      this.#channels.delete(channel);
      this.#command('UNLISTEN', channel);
    };
  }

  listening(): Promise<void> {
    if (this.#closed || this.#settled()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#channels.clear();
    this.#wake();
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  #connect(): void {
    if (this.#closed || this.#client || this.#retry) return;
    const client = new pg.Client({ connectionString: this.#url, application_name: 'herd-listen', keepAlive: true, connectionTimeoutMillis: 10_000 });
    this.#client = client;
    this.#live = false;
    this.#heard.clear();
    client.on('notification', (m) => {
      if (client === this.#client) for (const sub of [...(this.#channels.get(m.channel) ?? [])]) hear(sub.fn, m.payload ?? '');
    });
    client.on('error', () => this.#lost(client));
    client.on('end', () => this.#lost(client));
    void this.#start(client).catch(() => this.#lost(client));
  }

  async #start(client: pg.Client): Promise<void> {
    await client.connect();
    // Queries on one client run in the order issued, so a listen() or its undoing during the
    // loop is applied after it (see #command once #live).
    for (const channel of [...this.#channels.keys()]) {
      await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
      this.#heard.add(channel);
    }
    if (client !== this.#client) return;
    this.#live = true;
    for (const channel of this.#channels.keys()) if (!this.#heard.has(channel)) this.#command('LISTEN', channel);
    for (const channel of [...this.#heard]) if (!this.#channels.has(channel)) this.#command('UNLISTEN', channel);
    this.#failures = 0;
    const missed = this.#missed;
    this.#missed = false;
    this.#wake();
    if (missed) for (const set of [...this.#channels.values()]) for (const sub of [...set]) if (sub.onReconnect) hear(sub.onReconnect, '');
  }

  /** LISTENs or UNLISTENs on the live connection; without one, the next connection LISTENs what is wanted then. */
  #command(command: 'LISTEN' | 'UNLISTEN', channel: string): void {
    const client = this.#client;
    if (!client || !this.#live) return;
    client.query(`${command} ${client.escapeIdentifier(channel)}`).then(
      () => {
        if (client !== this.#client) return;
        if (command === 'LISTEN') this.#heard.add(channel);
        else this.#heard.delete(channel);
        this.#wake();
      },
      () => this.#lost(client),
    );
  }

  /** Drops a failed connection and schedules the next, waiting longer after each failure in a row. */
  #lost(client: pg.Client): void {
    if (client !== this.#client) return;
    this.#client = undefined;
    this.#live = false;
    this.#missed = true;
    this.#heard.clear();
    void client.end().catch(() => undefined);
    if (this.#closed) return;
    const delay = Math.min(maxRetryMs, firstRetryMs * 2 ** this.#failures++);
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (this.#channels.size > 0) this.#connect();
    }, delay);
    this.#retry.unref();
  }

  #settled(): boolean {
    if (this.#channels.size === 0) return true;
    return this.#live && [...this.#channels.keys()].every((c) => this.#heard.has(c));
  }

  #wake(): void {
    if (!this.#closed && !this.#settled()) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }
}
