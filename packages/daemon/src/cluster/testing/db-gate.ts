/**
 * A database handle that tests can cut off: its queries fail (the database is unreachable) or
 * their answers never come (a hung connection), while other handles on the same database go
 * on. For tests of what a host does when it loses its database.
 */
import type { Db } from '../../store/open-database.js';

/** How the gated handle behaves now. */
export type GateMode = 'open' | 'fail' | 'hang';

/** Controls the handles made by {@link gate}. */
export class DbGate {
  #mode: GateMode = 'open';
  #waiting: (() => void)[] = [];

  /** Switches the mode; answers held by `hang` are let through when it leaves that mode. */
  set(mode: GateMode): void {
    this.#mode = mode;
    if (mode !== 'hang') for (const release of this.#waiting.splice(0)) release();
  }

  get mode(): GateMode {
    return this.#mode;
  }

  /** Throws when failing (before the query runs). */
  beforeQuery(): void {
    if (this.#mode === 'fail') throw new Error('connection to the database lost (test gate)');
  }

  /** Holds the answer while hanging (the query ran; its answer does not come back). */
  async afterQuery(): Promise<void> {
    if (this.#mode === 'hang') await new Promise<void>((r) => this.#waiting.push(r));
  }
}

/** `db` seen through `g`: the same connections, with queries that fail or hang as `g` says. */
export function gate(db: Db, g: DbGate): Db {
  return db.withPlugin({
    transformQuery: (args) => {
      g.beforeQuery();
      return args.node;
    },
    transformResult: async (args) => {
      await g.afterQuery();
      return args.result;
    },
  });
}
