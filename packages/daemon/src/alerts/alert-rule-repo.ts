/** Alert rules in the database. */
import type { AlertRule } from '@herd/api';
import type { Db } from '../store/open-database.js';
import type { AlertRulesTable } from '../store/schema.js';
import { isUuid } from '../util/uuid.js';

/** A stored alert rule. */
export type AlertRuleRecord = AlertRule;

/** Reads and writes alert rules. One per daemon. */
export class AlertRuleRepo {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Every rule, by name. */
  async list(): Promise<AlertRuleRecord[]> {
    return (await this.#db.selectFrom('alert_rules').selectAll().orderBy('name').execute()).map(fromRow);
  }

  /** The rule named or identified by `ref`, or undefined. */
  async find(ref: string): Promise<AlertRuleRecord | undefined> {
    const q = this.#db.selectFrom('alert_rules').selectAll();
    const row = await (isUuid(ref) ? q.where('id', '=', ref.toLowerCase()) : q.where('name', '=', ref)).executeTakeFirst();
    return row && fromRow(row);
  }

  /** Stores a new rule; the caller has checked that its name is free. */
  async insert(rule: AlertRuleRecord): Promise<void> {
    await this.#db
      .insertInto('alert_rules')
      .values({
        id: rule.id,
        name: rule.name,
        metric: rule.metric,
        target: rule.target,
        target_name: rule.targetName,
        op: rule.op,
        threshold: rule.threshold,
        for_seconds: rule.forSeconds,
        severity: rule.severity,
        created_at: rule.createdAt,
      })
      .execute();
  }

  /** Removes a rule by id (no-op when it is gone). */
  async remove(id: string): Promise<void> {
    await this.#db.deleteFrom('alert_rules').where('id', '=', id).execute();
  }
}

function fromRow(r: AlertRulesTable): AlertRuleRecord {
  return {
    id: r.id,
    name: r.name,
    metric: r.metric,
    target: r.target,
    targetName: r.target_name,
    op: r.op,
    threshold: r.threshold,
    forSeconds: r.for_seconds,
    severity: r.severity,
    createdAt: r.created_at,
  };
}
