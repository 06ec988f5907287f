/**
 * The pieces of nftables' text syntax the ruleset builders share: families, table names, and
 * quoting of interface names. Pure.
 */
import { checkLinkName } from './link-names.js';

/** The nftables address families, which decide the hooks a table's chains can attach to. */
export const NFT_FAMILIES = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'] as const;
/** An nftables address family. */
export type NftFamily = (typeof NFT_FAMILIES)[number];

/** A whole table: what `nft -f` is given inside `table FAMILY NAME { ... }`. */
export interface NftTable {
  readonly family: NftFamily;
  readonly name: string;
  /** Chains, sets and rules, one per line; the text between the table's braces. */
  readonly body: string;
}

// nft's scanner reads an unquoted name as a letter, '_' or '.' followed by letters, digits and
// / - _ . ; herd keeps to a plainer subset that cannot collide with a keyword.
const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/** Returns `family` when it is an nftables family; throws RangeError otherwise. */
export function checkFamily(family: string): NftFamily {
  if (!(NFT_FAMILIES as readonly string[]).includes(family)) throw new RangeError(`'${family}' is not an nftables family: use one of ${NFT_FAMILIES.join(', ')}`);
  return family as NftFamily;
}

/** Returns `name` when it can name a table herd makes; throws RangeError otherwise. */
export function checkTableName(name: string): string {
  if (!TABLE_NAME.test(name)) throw new RangeError(`'${name}' cannot name an nftables table: start with a letter, then up to 63 letters, digits and _ . -`);
  return name;
}

/** An interface name as an nft string literal, checked first so it cannot close the quotes. */
export function quoteIfname(name: string): string {
  return `"${checkLinkName(name)}"`;
}

/** Joins lines into a table body: each line indented one tab, chains' contents two. */
export function bodyOf(lines: readonly string[]): string {
  return lines.map((l) => `\t${l}\n`).join('');
}
