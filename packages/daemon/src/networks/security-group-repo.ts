/** Security group records and their rules. */
import { HerdError } from '@herd/api';
import type { EventLog } from '../events/event-log.js';
import type { Db } from '../store/open-database.js';
import { isUniqueViolation } from '../store/unique-violation.js';
import type { SecurityGroupRow, SecurityGroupRuleRow } from '../store/schema.js';
import { isUuid } from '../util/uuid.js';
import { owningProjectId } from '../tenancy/request-scope.js';
import { whereVisible } from '../tenancy/visibility.js';

/** Reads and writes security groups. One per daemon. */
export class SecurityGroupRepo {
  readonly #db: Db;
  readonly #events: EventLog;

  constructor(db: Db, events: EventLog) {
    this.#db = db;
    this.#events = events;
  }

  /** The group named or identified by `ref`; throws not_found. */
  async find(ref: string): Promise<SecurityGroupRow> {
    const q = whereVisible(this.#db.selectFrom('security_groups').selectAll());
    const row = await (isUuid(ref) ? q.where('id', '=', ref.toLowerCase()) : q.where('name', '=', ref)).executeTakeFirst();
    if (!row) throw new HerdError('not_found', { kind: 'secgroup', name: ref });
    return row;
  }

  /** All groups, by name. */
  async list(): Promise<SecurityGroupRow[]> {
    return this.#db.selectFrom('security_groups').selectAll().orderBy('name').execute();
  }

  /** The groups of the request's project, by name. */
  async listVisible(): Promise<SecurityGroupRow[]> {
    return whereVisible(this.#db.selectFrom('security_groups').selectAll()).orderBy('name').execute();
  }

  /** Every rule, oldest first. */
  async rules(groupId?: string): Promise<SecurityGroupRuleRow[]> {
    let q = this.#db.selectFrom('security_group_rules').selectAll().orderBy('created_at');
    if (groupId) q = q.where('group_id', '=', groupId);
    return q.execute();
  }

  /** Inserts a group; a duplicate name is name_taken. */
  async insert(row: SecurityGroupRow): Promise<void> {
    try {
      await this.#db.insertInto('security_groups').values({ ...row, project_id: owningProjectId() }).execute();
    } catch (e) {
      if (isUniqueViolation(e, 'security_groups', 'name')) throw new HerdError('name_taken', { kind: 'secgroup', name: row.name, field: 'name' });
      throw e;
    }
    await this.note(row, 'secgroup.created', `security group ${row.name} created`);
  }

  /** Adds a rule. */
  async addRule(group: SecurityGroupRow, rule: SecurityGroupRuleRow): Promise<void> {
    await this.#db.insertInto('security_group_rules').values(rule).execute();
    await this.note(group, 'secgroup.rule_added', `security group ${group.name}: ${describeRule(rule)} allowed`, { rule: rule.id });
  }

  /** Removes a rule of a group; throws not_found when the group has no such rule. */
  async removeRule(group: SecurityGroupRow, ruleId: string): Promise<void> {
    const rule = await this.#db.selectFrom('security_group_rules').selectAll().where('id', '=', ruleId).where('group_id', '=', group.id).executeTakeFirst();
    if (!rule) throw new HerdError('not_found', { kind: 'rule', name: ruleId, hint: `see the rules with \`herd secgroup show ${group.name}\`` });
    await this.#db.deleteFrom('security_group_rules').where('id', '=', ruleId).execute();
    await this.note(group, 'secgroup.rule_removed', `security group ${group.name}: ${describeRule(rule)} no longer allowed`, { rule: rule.id });
  }

  /** Removes a group and its rules. */
  async remove(group: SecurityGroupRow): Promise<void> {
    await this.#db.deleteFrom('security_group_rules').where('group_id', '=', group.id).execute();
    await this.#db.deleteFrom('security_groups').where('id', '=', group.id).execute();
    await this.note(group, 'secgroup.deleted', `security group ${group.name} deleted`);
  }

  async note(group: Pick<SecurityGroupRow, 'id' | 'name'>, type: string, message: string, data: Record<string, unknown> = {}): Promise<void> {
    await this.#events.append({ type, target: { type: 'secgroup', id: group.id, name: group.name }, message, data });
  }
}

/** A rule for people: "ingress tcp 80-81 from 10.0.0.0/8". */
export function describeRule(r: Pick<SecurityGroupRuleRow, 'direction' | 'protocol' | 'port_from' | 'port_to' | 'remote_cidr'>): string {
  const ports = r.port_from ? ` ${r.port_from}${r.port_to && r.port_to !== r.port_from ? `-${r.port_to}` : ''}` : '';
  const remote = r.remote_cidr ? ` ${r.direction === 'ingress' ? 'from' : 'to'} ${r.remote_cidr}` : '';
  return `${r.direction} ${r.protocol}${ports}${remote}`;
}
