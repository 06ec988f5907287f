/** `herd alert ...`: alert rules, alerts, anomalies and forecasts. */
import { Option, type Command } from 'commander';
import { alertSeverities, alertStates, type AlertRuleCreate, type AlertSeverity, type AlertState } from '@herd/api';
import { contextOf } from '../context.js';
import { UsageError } from '../errors.js';
import { checkName, parsePositiveInt } from '../options.js';
import { render } from '../output/format.js';
import { alertRuleTable, alertTable, anomalyTable, forecastTable, formatValue } from '../views/alert.js';
import { parseDurationSeconds, parseThreshold } from './alert-options.js';

interface RuleAddOptions {
  metric: string;
  target: string;
  above?: number;
  below?: number;
  for: number;
  severity: AlertSeverity;
}

/** Adds `herd alert` and its subcommands to `program`. */
export function registerAlert(program: Command): void {
  const alert = program.command('alert').description('alert rules, firing alerts, anomalies and forecasts');
  const rule = alert.command('rule').description('manage alert rules');

  rule
    .command('add')
    .description('fire an alert when a metric stays above or below a threshold')
    .argument('<name>', 'name of the rule')
    .requiredOption('--metric <metric>', 'metric to watch, e.g. vm_cpu_percent, pool_used_bytes (see `herd metrics`)')
    .option('--target <target>', 'a VM name or id, `host`, a pool name, or * for every target', '*')
    .option('--above <value>', 'fire when the value is above this (a number, or a size like 2G)', parseThreshold)
    .option('--below <value>', 'fire when the value is below this', parseThreshold)
    .option('--for <duration>', 'how long the condition must hold: 30s, 5m, 1h', parseDurationSeconds, 0)
    .addOption(new Option('--severity <severity>', 'how bad it is').choices(alertSeverities).default('warning'))
    .action(async (name: string, opts: RuleAddOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      checkName(name);
      if ((opts.above === undefined) === (opts.below === undefined)) throw new UsageError('give exactly one of --above VALUE or --below VALUE');
      const body: AlertRuleCreate = {
        name,
        metric: opts.metric,
        target: opts.target,
        op: opts.above !== undefined ? '>' : '<',
        threshold: (opts.above ?? opts.below)!,
        forSeconds: opts.for,
        severity: opts.severity,
      };
      const created = await ctx.client.call('createAlertRule', { body });
      ctx.print(
        render(ctx.format, created, () => `alert rule '${created.name}' added: ${created.metric} of ${created.targetName} ${created.op} ${formatValue(created.metric, created.threshold)} for ${created.forSeconds} s (${created.severity})\n`),
      );
    });

  rule
    .command('list')
    .description('list alert rules')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const rules = await ctx.client.call('listAlertRules');
      ctx.print(render(ctx.format, rules, () => alertRuleTable(rules, ctx.width)));
    });

  rule
    .command('remove')
    .alias('delete')
    .description('remove an alert rule (its firing alerts resolve)')
    .argument('<name>', 'rule name or id')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const removed = await ctx.client.call('deleteAlertRule', { params: { id: name } });
      ctx.print(render(ctx.format, removed, () => `alert rule '${removed.name}' removed\n`));
    });

  alert
    .command('list')
    .description('list pending, firing and recently resolved alerts')
    .addOption(new Option('--state <state>', 'only alerts in this state').choices(alertStates))
    .action(async (opts: { state?: AlertState }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const alerts = await ctx.client.call('listAlerts', { query: opts.state ? { state: opts.state } : {} });
      ctx.print(render(ctx.format, alerts, () => alertTable(alerts, ctx.color, ctx.width)));
    });

  alert
    .command('anomalies')
    .description('list recent anomalies: series that left their learned normal, with their score')
    .option('--limit <n>', 'at most this many', parsePositiveInt, 20)
    .action(async (opts: { limit: number }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const anomalies = await ctx.client.call('listAnomalies', { query: { limit: Math.min(opts.limit, 1000) } });
      ctx.print(render(ctx.format, anomalies, () => anomalyTable(anomalies, ctx.width)));
    });

  alert
    .command('forecasts')
    .description('show when pools and host memory are expected to fill, from their trend')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const forecasts = await ctx.client.call('listForecasts');
      ctx.print(render(ctx.format, forecasts, () => forecastTable(forecasts, ctx.width)));
    });
}
