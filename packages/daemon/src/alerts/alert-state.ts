/** The alerts the engine keeps: one per (rule, series target) while pending or firing, plus recent resolved ones. */
import type { Alert, MetricTarget } from '@herd/api';
import type { SeriesVerdict } from './rule-evaluation.js';
import type { AlertRuleRecord } from './alert-rule-repo.js';

/** An alert as the engine holds it. */
export interface LiveAlert {
  readonly rule: AlertRuleRecord;
  /** Filled in with a display name once looked up. */
  target: MetricTarget;
  verdict: SeriesVerdict;
}

/** The API view of a live alert. */
export function toApiAlert(a: LiveAlert): Alert {
  return {
    rule: a.rule.name,
    ruleId: a.rule.id,
    metric: a.rule.metric,
    target: a.target,
    severity: a.rule.severity,
    state: a.verdict.phase === 'firing' ? 'firing' : 'pending',
    op: a.rule.op,
    threshold: a.rule.threshold,
    value: a.verdict.value,
    since: new Date(a.verdict.since).toISOString(),
    firedAt: a.verdict.firedAt === null ? null : new Date(a.verdict.firedAt).toISOString(),
    resolvedAt: null,
    reason: null,
  };
}
