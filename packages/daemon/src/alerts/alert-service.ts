/** The alert use cases behind the API: create, list and delete rules; list alerts. */
import { randomUUID } from 'node:crypto';
import { HerdError, type Alert, type AlertRule, type AlertRuleCreate, type AlertState } from '@herd/api';
import type { AlertEngine } from './alert-engine.js';
import type { AlertRuleRepo } from './alert-rule-repo.js';
import { targetTypeOf } from './metric-target.js';
import { nowIso } from '../util/time.js';

/** Finds a VM by name or id (for rule targets given as VM names). */
export type FindVm = (ref: string) => Promise<{ readonly id: string; readonly name: string } | undefined>;

/** Alert rules and alerts. One per daemon. */
export class AlertService {
  readonly #repo: AlertRuleRepo;
  readonly #engine: AlertEngine;
  readonly #findVm: FindVm;

  constructor(repo: AlertRuleRepo, engine: AlertEngine, findVm: FindVm) {
    this.#repo = repo;
    this.#engine = engine;
    this.#findVm = findVm;
  }

  /** Creates a rule; a VM target given by name is stored by id. Throws name_taken or not_found. */
  async createRule(body: AlertRuleCreate): Promise<AlertRule> {
    if (await this.#repo.find(body.name)) throw new HerdError('name_taken', { kind: 'alert rule', name: body.name });
    const given = body.target ?? '*';
    let target = given;
    if (given !== '*' && targetTypeOf(body.metric) === 'vm') {
      const vm = await this.#findVm(given);
      if (!vm) throw new HerdError('not_found', { kind: 'vm', name: given });
      target = vm.id;
    }
    const rule: AlertRule = {
      id: randomUUID(),
      name: body.name,
      metric: body.metric,
      target,
      targetName: given,
      op: body.op,
      threshold: body.threshold,
      forSeconds: body.forSeconds ?? 0,
      severity: body.severity ?? 'warning',
      createdAt: nowIso(),
    };
    await this.#repo.insert(rule);
    this.#engine.addRule(rule);
    return rule;
  }

  /** Every rule, by name. */
  listRules(): Promise<AlertRule[]> {
    return this.#repo.list();
  }

  /** Deletes a rule by name or id; its firing alerts resolve. Throws not_found. */
  async deleteRule(ref: string): Promise<AlertRule> {
    const rule = await this.#repo.find(ref);
    if (!rule) throw new HerdError('not_found', { kind: 'alert rule', name: ref });
    await this.#repo.remove(rule.id);
    this.#engine.removeRule(rule.id);
    return rule;
  }

  /** Pending, firing and recently resolved alerts, optionally of one state. */
  listAlerts(state?: AlertState): Alert[] {
    const all = this.#engine.list();
    return state ? all.filter((a) => a.state === state) : all;
  }
}
