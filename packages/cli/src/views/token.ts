/** How API tokens look: the list (never with secrets) and the one-time display of a new secret. */
import type { Token, TokenCreated } from '@herd/api';
import { renderDetails } from '../output/format.js';
import { paint, type Color } from '../output/style.js';
import { renderTable, type Column } from '../output/table.js';
import { formatAge, formatRelative } from '../output/time.js';

/** Whether a token still lets its holder in. */
export type TokenState = 'active' | 'revoked' | 'expired';

const columns: readonly Column[] = [{ header: 'NAME', shrink: true }, { header: 'CREATED' }, { header: 'EXPIRES' }, { header: 'LAST-USED' }, { header: 'STATE' }];

const stateColors: Readonly<Record<TokenState, Color>> = { active: 'green', revoked: 'dim', expired: 'dim' };

/** A token's state at `now`: revoked wins over expired. */
export function tokenState(t: Pick<Token, 'revokedAt' | 'expiresAt'>, now: number = Date.now()): TokenState {
  if (t.revokedAt !== null) return 'revoked';
  return t.expiresAt !== null && Date.parse(t.expiresAt) <= now ? 'expired' : 'active';
}

/** The `herd user token list` table: ages, when each token expires, and its state. */
export function tokenTable(tokens: readonly Token[], color: boolean, width?: number, now: number = Date.now()): string {
  const rows = tokens.map((t) => {
    const state = tokenState(t, now);
    return [
      t.name,
      `${formatAge(t.createdAt, now)} ago`,
      t.expiresAt === null ? 'never' : formatRelative(t.expiresAt, now),
      t.lastUsedAt === null ? 'never' : `${formatAge(t.lastUsedAt, now)} ago`,
      paint(state, stateColors[state], color),
    ];
  });
  return renderTable(columns, rows, { maxWidth: width });
}

/**
 * What `herd user token create` prints: the secret on a line of its own, set apart, and the
 * warning that herd cannot show it again (it keeps only a hash).
 */
export function tokenCreatedText(t: TokenCreated, color: boolean): string {
  const details = renderDetails([
    ['token', t.name],
    ['user', t.user],
    ['expires', t.expiresAt === null ? 'never' : `${t.expiresAt} (${formatRelative(t.expiresAt)})`],
  ]);
  return [
    details,
    'secret:',
    '',
    `    ${paint(t.secret, 'bold', color)}`,
    '',
    paint('Copy it now: it is not shown again (herd keeps only its hash).', 'yellow', color),
    'Use it with `herd login --token SECRET` (stores it for a remote), HERD_TOKEN=SECRET, or `Authorization: Bearer SECRET`.',
    '',
  ].join('\n');
}
