/** Security groups: stateful allow rules on NICs, enforced by the firewall on each NIC's tap. */
import { randomUUID } from 'node:crypto';
import { HerdError, type SecurityGroup, type SecurityGroupCreate, type SecurityGroupRuleAdd } from '@herd/api';
import type { SecurityGroupRow, SecurityGroupRuleRow } from '../store/schema.js';
import { nowIso } from '../util/time.js';
import type { Firewall } from './firewall.js';
import { formatIp, mask, parseIp } from './ipam.js';
import type { NicRepo } from './nic-repo.js';
import type { SecurityGroupRepo } from './security-group-repo.js';

/** Security group use cases. */
export class SecurityGroupService {
  readonly #groups: SecurityGroupRepo;
  readonly #nics: NicRepo;
  readonly #firewall: Firewall;

  constructor(groups: SecurityGroupRepo, nics: NicRepo, firewall: Firewall) {
    this.#groups = groups;
    this.#nics = nics;
    this.#firewall = firewall;
  }

  /** All groups with their rules. */
  async list(): Promise<SecurityGroup[]> {
    const [groups, rules, nics] = await Promise.all([this.#groups.listVisible(), this.#groups.rules(), this.#nics.all()]);
    return groups.map((g) => toApi(g, rules, countNics(g.id, nics)));
  }

  /** One group. */
  async get(ref: string): Promise<SecurityGroup> {
    const g = await this.#groups.find(ref);
    return toApi(g, await this.#groups.rules(g.id), countNics(g.id, await this.#nics.all()));
  }

  /** Creates an empty group: inbound denied, outbound allowed. */
  async create(body: SecurityGroupCreate): Promise<SecurityGroup> {
    const row: SecurityGroupRow = { id: randomUUID(), name: body.name, description: body.description ?? '', created_at: nowIso() };
    await this.#groups.insert(row);
    return toApi(row, [], 0);
  }

  /** Deletes a group no NIC uses. */
  async delete(ref: string): Promise<SecurityGroup> {
    const g = await this.#groups.find(ref);
    const users = countNics(g.id, await this.#nics.all());
    if (users) throw new HerdError('secgroup_in_use', { name: g.name, nics: users });
    const api = toApi(g, await this.#groups.rules(g.id), 0);
    await this.#groups.remove(g);
    return api;
  }

  /** Adds an allow rule; every NIC in the group gets it at once. */
  async addRule(ref: string, body: SecurityGroupRuleAdd): Promise<SecurityGroup> {
    const g = await this.#groups.find(ref);
    const ports = body.protocol === 'tcp' || body.protocol === 'udp';
    if (!ports && (body.portFrom !== undefined || body.portTo !== undefined))
      throw new HerdError('validation_failed', { field: 'portFrom', reason: `${body.protocol} has no ports; give ports only with tcp or udp` });
    if (body.portTo !== undefined && body.portFrom === undefined) throw new HerdError('validation_failed', { field: 'portTo', reason: 'give portFrom too' });
    if (body.portFrom !== undefined && body.portTo !== undefined && body.portTo < body.portFrom)
      throw new HerdError('validation_failed', { field: 'portTo', reason: `the range ends (${body.portTo}) before it starts (${body.portFrom})` });
    if (body.remoteCidr !== undefined) {
      try {
        parseCidrLoose(body.remoteCidr);
      } catch (e) {
        throw new HerdError('validation_failed', { field: 'remoteCidr', reason: e instanceof Error ? e.message : String(e) });
      }
    }
    const rule: SecurityGroupRuleRow = {
      id: randomUUID(),
      group_id: g.id,
      direction: body.direction,
      protocol: body.protocol,
      port_from: body.portFrom ?? null,
      port_to: body.portFrom !== undefined ? (body.portTo ?? body.portFrom) : null,
      remote_cidr: body.remoteCidr ?? null,
      created_at: nowIso(),
    };
    await this.#groups.addRule(g, rule);
    await this.#firewall.apply();
    return this.get(g.id);
  }

  /** Removes a rule; applied at once. */
  async removeRule(ref: string, ruleId: string): Promise<SecurityGroup> {
    const g = await this.#groups.find(ref);
    await this.#groups.removeRule(g, ruleId);
    await this.#firewall.apply();
    return this.get(g.id);
  }
}

/** Any IPv4 network, /0 to /32 (remote ranges may be anything, unlike herd's own networks). */
function parseCidrLoose(cidr: string): void {
  const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(cidr);
  const ip = m ? parseIp(m[1]!) : undefined;
  const prefix = m ? Number(m[2]) : NaN;
  if (ip === undefined || !(prefix >= 0 && prefix <= 32)) throw new Error(`'${cidr}' is not an IPv4 network such as 10.0.0.0/8`);
  const base = (ip & mask(prefix)) >>> 0;
  if (base !== ip) throw new Error(`'${cidr}' has host bits set; did you mean ${formatIp(base)}/${prefix}?`);
}

function countNics(groupId: string, nics: readonly { security_groups: string }[]): number {
  return nics.filter((n) => (JSON.parse(n.security_groups) as string[]).includes(groupId)).length;
}

function toApi(g: SecurityGroupRow, rules: readonly SecurityGroupRuleRow[], nics: number): SecurityGroup {
  return {
    id: g.id,
    name: g.name,
    description: g.description,
    rules: rules
      .filter((r) => r.group_id === g.id)
      .map((r) => ({ id: r.id, direction: r.direction, protocol: r.protocol, portFrom: r.port_from, portTo: r.port_to, remoteCidr: r.remote_cidr })),
    nics,
    createdAt: g.created_at,
  };
}
