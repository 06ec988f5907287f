/**
 * Security groups on the host: two nftables tables (see net/security-group-ruleset.ts) hold the rules of every NIC that has groups,
 * rebuilt from the database and swapped in atomically whenever groups, rules or NICs change,
 * so what is enforced is always exactly what the records say. Rules match taps by name, so a
 * NIC's rules are in place before its VM starts.
 */
import type { Logger } from 'pino';
import type { NetExec } from '../net/net-exec.js';
import { SECURITY_GROUP_TABLES, applyTables, deleteTable, securityGroupRuleset } from '../net/nftables.js';
import type { NetworkRepo } from './network-repo.js';
import { tapNameFor } from './network-names.js';
import type { NicRepo } from './nic-repo.js';
import type { SecurityGroupRepo } from './security-group-repo.js';

/** Applies security groups. One per daemon. */
export class Firewall {
  readonly #exec: NetExec;
  readonly #nics: NicRepo;
  readonly #groups: SecurityGroupRepo;
  readonly #networks: NetworkRepo;
  readonly #log: Logger;
  #chain: Promise<void> = Promise.resolve();

  constructor(exec: NetExec, nics: NicRepo, groups: SecurityGroupRepo, networks: NetworkRepo, log: Logger) {
    this.#exec = exec;
    this.#nics = nics;
    this.#groups = groups;
    this.#networks = networks;
    this.#log = log;
  }

  /** Rebuilds and swaps in the ruleset; applies run one at a time, in order. */
  apply(): Promise<void> {
    const next = this.#chain.then(() => this.#apply());
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async #apply(): Promise<void> {
    const [nics, rules, networks] = await Promise.all([this.#nics.all(), this.#groups.rules(), this.#networks.list()]);
    const bridges = new Map(networks.map((n) => [n.id, n.bridge]));
    const ports = nics
      .map((n) => ({ nic: n, groups: JSON.parse(n.security_groups) as string[] }))
      .filter((p) => p.groups.length > 0 && bridges.has(p.nic.network_id))
      .map((p) => ({
        tap: tapNameFor(p.nic.id),
        bridge: bridges.get(p.nic.network_id)!,
        rules: rules
          .filter((r) => p.groups.includes(r.group_id))
          .map((r) => ({
            direction: r.direction,
            protocol: r.protocol,
            ...(r.port_from !== null ? { portFrom: r.port_from } : {}),
            ...(r.port_to !== null ? { portTo: r.port_to } : {}),
            ...(r.remote_cidr !== null ? { remoteCidr: r.remote_cidr } : {}),
          })),
      }));
    if (ports.length === 0) for (const t of SECURITY_GROUP_TABLES) await deleteTable(this.#exec, t.family, t.name);
    else await applyTables(this.#exec, securityGroupRuleset(ports));
    this.#log.debug({ ports: ports.length }, 'security groups applied');
  }
}
