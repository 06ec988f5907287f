/** `herd webhook ...`: where herd POSTs events, and how those deliveries went. */
import { Option, type Command } from 'commander';
import { deliveryStatuses, type WebhookCreate } from '@herd/api';
import { contextOf } from '../context.js';
import { parsePositiveInt } from '../options.js';
import { render } from '../output/format.js';
import { deliveryTable, webhookTable } from '../views/alert.js';

/** Adds `herd webhook` and its subcommands to `program`. */
export function registerWebhook(program: Command): void {
  const webhook = program.command('webhook').description('send events (alerts, anomalies, forecasts, ...) to HTTP endpoints');

  webhook
    .command('add')
    .description('POST events to a URL, retried with backoff until delivered')
    .argument('<url>', 'http:// or https:// URL')
    .option('--events <patterns>', 'comma-separated event types or patterns (e.g. alert.*,forecast.warning); default all', (v: string) =>
      v.split(',').map((s) => s.trim()).filter(Boolean),
    )
    .option('--secret <secret>', 'sign bodies: header x-herd-signature-256: sha256=HMAC-SHA256(secret, body)')
    .action(async (url: string, opts: { events?: string[]; secret?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const body: WebhookCreate = { url, ...(opts.events && { events: opts.events }), ...(opts.secret !== undefined && { secret: opts.secret }) };
      const created = await ctx.client.call('createWebhook', { body });
      ctx.print(render(ctx.format, created, () => `webhook ${created.id} added: ${created.url} (${created.events.length ? created.events.join(', ') : 'all events'})\n`));
    });

  webhook
    .command('list')
    .description('list webhooks with their delivery counts')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const hooks = await ctx.client.call('listWebhooks');
      ctx.print(render(ctx.format, hooks, () => webhookTable(hooks, ctx.width)));
    });

  webhook
    .command('remove')
    .alias('delete')
    .description('remove a webhook and its pending deliveries')
    .argument('<id>', 'webhook id')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const removed = await ctx.client.call('deleteWebhook', { params: { id } });
      ctx.print(render(ctx.format, removed, () => `webhook ${removed.id} removed\n`));
    });

  webhook
    .command('deliveries')
    .description("show a webhook's deliveries, newest first")
    .argument('<id>', 'webhook id')
    .addOption(new Option('--status <status>', 'only deliveries in this status').choices(deliveryStatuses))
    .option('--limit <n>', 'at most this many', parsePositiveInt, 50)
    .action(async (id: string, opts: { status?: (typeof deliveryStatuses)[number]; limit: number }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const list = await ctx.client.call('listWebhookDeliveries', { params: { id }, query: { limit: Math.min(opts.limit, 1000), ...(opts.status && { status: opts.status }) } });
      ctx.print(render(ctx.format, list, () => deliveryTable(list, ctx.width)));
    });
}
