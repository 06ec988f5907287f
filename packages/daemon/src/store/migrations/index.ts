/** The versioned migrations, in order. Never edit one that has shipped; add a new one. */
import type { Migration } from 'kysely';
import * as m0001 from './0001-initial.js';

/** Migrations by name; names sort in the order they apply. */
export const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
};
