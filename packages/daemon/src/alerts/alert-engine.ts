/**
 * Evaluates alert rules against every batch the metrics store writes, and on a timer so that an
 * alert whose data stopped coming still resolves. Firing and resolving are events
 * (`alert.firing`, `alert.resolved`), which the webhook dispatcher delivers. Pending and firing
 * alerts live in memory; firing ones are handed back at start-up (see open-alerts.ts).
 */
import type { Alert } from '@herd/api';
import type { Logger } from 'pino';
import type { EventInput } from '../events/event-log.js';
import type { MetricsStore, Sample } from '../metrics/metric-types.js';
import { toApiAlert, type LiveAlert } from './alert-state.js';
import type { AlertRuleRecord } from './alert-rule-repo.js';
import { targetMatches, targetPhrase, type DescribeTarget } from './metric-target.js';
import { expireRule, stepRule, type SeriesVerdict, type Transition } from './rule-evaluation.js';

/** Where the engine appends events. */
export interface EventSink {
  append(input: EventInput): Promise<unknown>;
}

/** Options of {@link AlertEngine}. */
export interface AlertEngineOptions {
  readonly events: EventSink;
  readonly describeTarget: DescribeTarget;
  readonly log: Logger;
  /** A firing alert whose series sent nothing for this long resolves (default 120 s). */
  readonly staleAfterMs?: number;
  /** How often to look for stale alerts (default 5 s). */
  readonly checkEveryMs?: number;
  /** How many resolved alerts `list()` keeps (default 100). */
  readonly keepResolved?: number;
  readonly now?: () => number;
}

/** Runs the alert rules. Create once, `attach` to the metrics store, `close` at shutdown. */
export class AlertEngine {
  readonly #o: Required<Omit<AlertEngineOptions, 'now'>> & { now: () => number };
  readonly #rules = new Map<string, AlertRuleRecord>();
  /** Pending and firing alerts, by rule id + NUL + series target. */
  readonly #live = new Map<string, LiveAlert>();
  readonly #resolved: Alert[] = [];
  #emitting: Promise<void> = Promise.resolve();
  #detach: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: AlertEngineOptions) {
    this.#o = { staleAfterMs: 120_000, checkEveryMs: 5_000, keepResolved: 100, now: Date.now, ...options };
  }

  /**
   * Starts evaluating `rules` on every batch `store` writes. `firing` are the alerts that were
   * firing before a restart: they go on firing (no new event) until their series says otherwise
   * or stays silent. Call once.
   */
  attach(store: MetricsStore, rules: readonly AlertRuleRecord[], firing: readonly Alert[] = []): void {
    for (const r of rules) this.#rules.set(r.id, r);
    const now = this.#o.now();
    for (const a of firing) {
      const rule = this.#rules.get(a.ruleId);
      if (!rule) continue;
      const since = Date.parse(a.since);
      const firedAt = a.firedAt ? Date.parse(a.firedAt) : since;
      this.#live.set(`${rule.id}\0${a.target.id}`, { rule, target: a.target, verdict: { phase: 'firing', since, firedAt, value: a.value, lastSeen: now } });
    }
    this.#detach = store.onWrite((batch) => this.evaluate(batch));
    this.#timer = setInterval(() => this.expire(this.#o.now()), this.#o.checkEveryMs);
    this.#timer.unref();
  }

  /** Adds (or replaces) a rule; it applies from the next batch. */
  addRule(rule: AlertRuleRecord): void {
    this.#rules.set(rule.id, rule);
  }

  /** Removes a rule; its pending alerts clear and its firing ones resolve. */
  removeRule(id: string): void {
    this.#rules.delete(id);
    for (const [key, a] of this.#live) {
      if (a.rule.id !== id) continue;
      this.#live.delete(key);
      if (a.verdict.phase === 'firing') this.#emit(a, 'resolved', a.verdict, 'the rule was deleted');
    }
  }

  /** Evaluates every rule on a batch of samples. Called by the store's onWrite; never throws. */
  evaluate(batch: readonly Sample[]): void {
    for (const s of batch) {
      for (const rule of this.#rules.values()) {
        if (rule.metric !== s.metric || !targetMatches(rule.target, s.target)) continue;
        const key = `${rule.id}\0${s.target}`;
        const live = this.#live.get(key);
        const before = live?.verdict;
        const { verdict, transition } = stepRule(condition(rule), before, s.time, s.value);
        if (transition === 'pending' || (transition === 'firing' && !live)) {
          const a: LiveAlert = { rule, target: { type: 'other', id: s.target, name: s.target }, verdict };
          this.#live.set(key, a);
          void this.#named(a);
        } else if (live) live.verdict = verdict;
        this.#after(key, transition, before);
      }
    }
  }

  /** Resolves firing alerts (and clears pending ones) whose data stopped. Runs on the timer. */
  expire(now: number): void {
    for (const [key, a] of this.#live) {
      const before = a.verdict;
      const { verdict, transition } = expireRule(before, now, this.#o.staleAfterMs);
      a.verdict = verdict;
      this.#after(key, transition, before, `no data for ${Math.round(this.#o.staleAfterMs / 1000)} s`);
    }
  }

  /** Pending, firing and recently resolved alerts, newest first. */
  list(): Alert[] {
    const live = [...this.#live.values()].map(toApiAlert).sort((a, b) => b.since.localeCompare(a.since));
    return [...live, ...[...this.#resolved].reverse()];
  }

  /** Waits until every event of the transitions so far is appended (for tests and shutdown). */
  async settled(): Promise<void> {
    await this.#emitting;
  }

  /** Stops evaluating. */
  close(): void {
    this.#detach?.();
    if (this.#timer) clearInterval(this.#timer);
  }

  /** Acts on a transition; `before` is the verdict the transition left (a resolution reports its since and firedAt). */
  #after(key: string, transition: Transition, before: SeriesVerdict | undefined, reason = 'the value is back within the threshold'): void {
    const a = this.#live.get(key);
    if (!a || transition === null || transition === 'pending') return;
    if (transition === 'firing') return this.#emit(a, 'firing', a.verdict);
    this.#live.delete(key);
    if (transition === 'resolved' && before) this.#emit(a, 'resolved', { ...before, value: a.verdict.value, lastSeen: a.verdict.lastSeen }, reason);
  }

  /** Fills in the target's display name (a VM's name for its id). */
  async #named(a: LiveAlert): Promise<void> {
    try {
      a.target = await this.#o.describeTarget(a.rule.metric, a.target.id);
    } catch {
      // keep the raw target
    }
  }

  /** Records the event of a firing or resolution, showing the alert as `shown` says. */
  #emit(a: LiveAlert, kind: 'firing' | 'resolved', shown: SeriesVerdict, reason?: string): void {
    const snapshot = toApiAlert({ ...a, verdict: shown });
    const time = this.#o.now();
    this.#emitting = this.#emitting.then(async () => {
      await this.#named(a);
      const alert: Alert = { ...snapshot, target: a.target };
      if (kind === 'resolved') {
        Object.assign(alert, { state: 'resolved', resolvedAt: new Date(time).toISOString(), reason: reason ?? null });
        this.#resolved.push(alert);
        if (this.#resolved.length > this.#o.keepResolved) this.#resolved.shift();
      }
      const r = a.rule;
      const what = `${r.metric} of ${targetPhrase(alert.target)}`;
      const message =
        kind === 'firing'
          ? `alert ${r.name} (${r.severity}) firing: ${what} is ${fmt(alert.value)} ${r.op} ${fmt(r.threshold)}${r.forSeconds ? ` for ${r.forSeconds} s` : ''}`
          : `alert ${r.name} resolved: ${reason} (${what} is ${fmt(alert.value)})`;
      try {
        await this.#o.events.append({
          type: `alert.${kind}`,
          target: { type: alert.target.type, id: alert.target.id, name: alert.target.name },
          message,
          data: { ...alert },
        });
      } catch (e) {
        this.#o.log.error({ err: e instanceof Error ? e.message : String(e), rule: r.name }, 'could not record an alert event');
      }
    });
  }
}

function condition(rule: AlertRuleRecord) {
  return { op: rule.op, threshold: rule.threshold, forMs: rule.forSeconds * 1000 };
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(Math.abs(n) >= 100 ? 0 : 2);
}

