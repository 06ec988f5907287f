/**
 * nftables through `nft`: whole tables swapped in atomically, removed, and listed for orphan
 * sweeps. A table is always written in full and fed on stdin (`nft -f -`) as one transaction
 * that makes it, deletes it and makes it again with the new body: nft applies a transaction all
 * or nothing, so a ruleset never vanishes between old and new, and a body nft rejects leaves the
 * old one in force. Needs root (CAP_NET_ADMIN in the namespace of `exec`).
 *
 * The rulesets themselves are built by pure functions, re-exported here: network-rulesets.ts
 * (nat, isolated and vxlan networks) and security-group-ruleset.ts.
 */
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { NetExec } from './net-exec.js';
import { checkFamily, checkTableName, NFT_FAMILIES, type NftFamily, type NftTable } from './nft-syntax.js';

export { NFT_FAMILIES, type NftFamily, type NftTable } from './nft-syntax.js';
export {
  natRuleset,
  isolatedRuleset,
  overlayRuleset,
  natTableName,
  isolatedTableName,
  overlayTableName,
  type NetworkRulesetSpec,
  type OverlayRulesetSpec,
} from './network-rulesets.js';
export {
  securityGroupRuleset,
  SECURITY_GROUP_TABLES,
  CT_ESTABLISHED_MARK,
  CT_INVALID_MARK,
  type SecurityGroupPort,
  type SecurityGroupRule,
} from './security-group-ruleset.js';

/** A table as `nft list tables` names it. */
export interface NftTableRef {
  readonly family: NftFamily;
  readonly name: string;
}

const TIMEOUT_MS = 30_000;

/**
 * The `nft -f` script that replaces `tables` in one transaction. `table X` first makes each
 * exist, so the `delete` cannot fail on a table that is not there yet. Pure.
 */
export function replaceTablesScript(tables: readonly NftTable[]): string {
  return tables
    .map((t) => {
      const ref = `${checkFamily(t.family)} ${checkTableName(t.name)}`;
      const body = t.body === '' || t.body.endsWith('\n') ? t.body : `${t.body}\n`;
      return `table ${ref}\ndelete table ${ref}\ntable ${ref} {\n${body}}\n`;
    })
    .join('');
}

/** The `nft -f` script that removes `tables`, whether or not they exist. Pure. */
export function deleteTablesScript(tables: readonly NftTableRef[]): string {
  return tables.map((t) => `table ${checkFamily(t.family)} ${checkTableName(t.name)}\ndelete table ${t.family} ${t.name}\n`).join('');
}

const ListTablesJson = Type.Object({
  nftables: Type.Array(Type.Union([Type.Object({ table: Type.Object({ family: Type.String(), name: Type.String() }) }), Type.Object({ metainfo: Type.Unknown() })])),
});

/** Decodes `nft -j list tables`. Pure. */
export function parseTableList(stdout: string): NftTableRef[] {
  const parsed: unknown = JSON.parse(stdout);
  if (!Value.Check(ListTablesJson, parsed)) throw new Error(`nft -j list tables printed something unexpected: ${stdout.slice(0, 200)}`);
  const known = (f: string): f is NftFamily => (NFT_FAMILIES as readonly string[]).includes(f);
  return parsed.nftables.flatMap((e) => ('table' in e && known(e.table.family) ? [{ family: e.table.family, name: e.table.name }] : []));
}

/**
 * Replaces `tables` together in one transaction: either all take their new bodies or, when nft
 * rejects any (the error says which line), none changes. Idempotent. May be called at any time.
 */
export async function applyTables(exec: NetExec, tables: readonly NftTable[]): Promise<void> {
  if (tables.length === 0) return;
  await exec.run('nft', ['-f', '-'], { input: replaceTablesScript(tables), timeoutMs: TIMEOUT_MS });
}

/**
 * Replaces table `family name` with one holding `body` (a ruleset builder's output), atomically;
 * makes it when missing. Idempotent. May be called at any time.
 */
export async function applyTable(exec: NetExec, family: NftFamily, name: string, body: string): Promise<void> {
  await applyTables(exec, [{ family, name, body }]);
}

/** Removes table `family name`. Idempotent: a missing table is success. */
export async function deleteTable(exec: NetExec, family: NftFamily, name: string): Promise<void> {
  await exec.run('nft', ['-f', '-'], { input: deleteTablesScript([{ family, name }]), timeoutMs: TIMEOUT_MS });
}

/** Lists the tables whose names start with `prefix` (`herd-`), in every family, for orphan sweeps. May be called at any time. */
export async function listTables(exec: NetExec, prefix: string): Promise<NftTableRef[]> {
  const r = await exec.run('nft', ['-j', 'list', 'tables'], { timeoutMs: TIMEOUT_MS });
  return parseTableList(r.stdout).filter((t) => t.name.startsWith(prefix));
}
