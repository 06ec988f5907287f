/** `herd vm ...`: create, clone, migrate, set, list, show, start, stop, restart, pause, resume, delete, console, explain-placement, snapshot, nic. */
import { Option, type Command } from 'commander';
import type { HerdClient, NicAdd, Operation, Vm, VmCreate, VmStopBody } from '@herd/api';
import { contextOf, type Context } from '../context.js';
import { webSocketUrl } from '../transport/websocket-url.js';
import { UsageError } from '../errors.js';
import { waitOrPrint, resultObject } from '../operations.js';
import { checkName, parseDiskBytes, parseMemoryMiB, parseNonNegativeInt, parsePositiveInt } from '../options.js';
import { render } from '../output/format.js';
import { paintState } from '../output/style.js';
import { vmDetails, vmTable } from '../views/vm.js';
import { registerVmSnapshot } from './snapshot.js';
import { addCloneCommand } from './vm-clone.js';
import { addMigrateCommand } from './vm-migrate.js';
import { addHealingOptions, healingFields, type HealingOptions } from './vm-healing-options.js';
import { addNetworkOptions } from './vm-network-options.js';
import { addPlacementOptions, placementFields, placementUpdateFields, type PlacementOptions } from './vm-placement-options.js';
import { registerExplainPlacement } from './vm-explain-placement.js';
import { registerVmNic } from './vm-nic.js';

interface CreateOptions extends HealingOptions, PlacementOptions {
  readonly image: string;
  readonly cpus?: number;
  readonly memory?: number;
  readonly disk?: number;
  readonly cmdline?: string;
  readonly accel?: 'auto' | 'kvm' | 'tcg';
  readonly pool?: string;
  readonly cdrom?: string;
  readonly start?: boolean;
  /** NICs from `--network`, `false` for `--no-network`, undefined for the daemon's default. */
  readonly network?: NicAdd[] | false;
  readonly wait: boolean;
}

interface StopOptions {
  readonly force?: boolean;
  readonly timeout?: number;
  readonly wait: boolean;
}

interface ConsoleCommandOptions {
  readonly log?: boolean;
  readonly bytes?: number;
  readonly quietMs: number;
  readonly until?: string;
}

const noWaitHelp = "return at once, printing the operation's id";

/** Adds `herd vm` and its subcommands to `program`. */
export function registerVm(program: Command): void {
  const vm = program.command('vm').description('create, run and manage virtual machines');

  const create = vm
    .command('create')
    .description('create a VM from an image (and start it with --start)')
    .argument('<name>', 'name of the new VM (a DNS label: a-z, 0-9, -)')
    .requiredOption('--image <image>', 'image to create the VM from (name or id)')
    .option('--cpus <n>', 'virtual CPUs (default 1)', parsePositiveInt)
    .option('--memory <size>', 'memory, e.g. 512M or 1G; a bare number means MiB (default 256M)', parseMemoryMiB)
    .option('--disk <size>', 'root disk size, e.g. 2G; a bare number means GiB (default: the image size)', parseDiskBytes)
    .option('--cmdline <string>', 'kernel command line, for kernel-boot images')
    .addOption(new Option('--accel <accel>', 'accelerator (default auto: KVM when usable, else TCG)').choices(['auto', 'kvm', 'tcg']))
    .option('--pool <pool>', 'pool for the root disk (default: default)')
    .option('--cdrom <iso>', 'an ISO image to attach as a cdrom and boot from first (installs)')
    .option('--start', 'start the VM once it is created')
    .option('--no-wait', noWaitHelp);
  addNetworkOptions(create);
  addPlacementOptions(create);
  addHealingOptions(create).action(async (name: string, opts: CreateOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      checkName(name);
      checkName(opts.image);
      if (opts.pool !== undefined) checkName(opts.pool);
      if (opts.cdrom !== undefined) checkName(opts.cdrom);
      const body: VmCreate = {
        name,
        image: opts.image,
        ...(opts.cpus !== undefined && { cpus: opts.cpus }),
        ...(opts.memory !== undefined && { memoryMiB: opts.memory }),
        ...(opts.disk !== undefined && { diskBytes: opts.disk }),
        ...(opts.cmdline !== undefined && { kernelCmdline: opts.cmdline }),
        ...(opts.accel !== undefined && { accel: opts.accel }),
        ...(opts.pool !== undefined && { pool: opts.pool }),
        ...(opts.cdrom !== undefined && { cdrom: opts.cdrom }),
        ...(opts.start && { start: true }),
        ...(opts.network !== undefined && { nics: opts.network || [] }),
        ...withoutNullHealth(healingFields(opts)),
        ...placementFields(opts),
      };
      const op = await ctx.client.call('createVm', { body });
      const done = await waitOrPrint(ctx, op, opts.wait, { label: `creating vm '${name}'` });
      if (!done) return;
      const created = resultObject<Vm>(done, 'vm') ?? (await getVm(ctx.client, name));
      if (usesUserNetworking(created)) ctx.note(`herd: vm '${created.name}' has no NIC on a herd network; its port forwards use QEMU user-mode networking`);
      ctx.print(render(ctx.format, created, () => vmDetails(created, ctx.color)));
    });

  addCloneCommand(vm);
  addMigrateCommand(vm);

  addPlacementOptions(
    addHealingOptions(
      vm
        .command('set')
        .description('change how a VM heals, its display, priority and HA: restart policy, health check, watchdog, display (watchdog and display apply at its next start)')
        .argument('<name>', 'VM name or id'),
      true,
    ),
    true,
  ).action(async (name: string, opts: HealingOptions & PlacementOptions, cmd: Command) => {
    const ctx = contextOf(cmd);
    const body = { ...healingFields(opts), ...placementUpdateFields(opts) };
    if (Object.keys(body).length === 0) throw new UsageError('nothing to change; see `herd vm set --help`');
    const updated = await ctx.client.call('updateVm', { params: { id: checkName(name) }, body });
    ctx.print(render(ctx.format, updated, () => vmDetails(updated, ctx.color)));
  });

  vm.command('list')
    .description('list VMs')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const vms = await ctx.client.call('listVms');
      ctx.print(render(ctx.format, vms, () => vmTable(vms, ctx.color, ctx.width)));
    });

  vm.command('show')
    .description('show a VM: its spec, state and what it may do now')
    .argument('<name>', 'VM name or id')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const found = await getVm(ctx.client, checkName(name));
      ctx.print(render(ctx.format, found, () => vmDetails(found, ctx.color)));
    });

  addPowerAction(vm, 'start', 'start a stopped VM', 'starting', (c, id) => c.call('startVm', { params: { id }, body: {} }));
  addStopAction(vm, 'stop', 'stop a VM: ACPI shutdown, forced after the timeout', 'stopping', (c, id, body) =>
    c.call('stopVm', { params: { id }, body }),
  );
  addStopAction(vm, 'restart', 'restart a VM: stop it (as for stop), then start it', 'restarting', (c, id, body) =>
    c.call('restartVm', { params: { id }, body }),
  );
  addPowerAction(vm, 'pause', 'pause a running VM', 'pausing', (c, id) => c.call('pauseVm', { params: { id }, body: {} }));
  addPowerAction(vm, 'resume', 'resume a paused VM', 'resuming', (c, id) => c.call('resumeVm', { params: { id }, body: {} }));

  vm.command('delete')
    .description('delete a VM: stop it and remove its root disk and runtime files (data volumes are detached and kept)')
    .argument('<name>', 'VM name or id')
    .option('--yes', 'do not ask (herd never asks; accepted for scripts written for tools that do)')
    .option('--no-wait', noWaitHelp)
    .action(async (name: string, opts: { wait: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const op = await ctx.client.call('deleteVm', { params: { id: checkName(name) } });
      const done = await waitOrPrint(ctx, op, opts.wait, { label: `deleting vm '${name}'` });
      if (done) ctx.print(render(ctx.format, done, () => `vm '${name}' deleted\n`));
    });

  vm.command('console')
    .description("attach to a VM's serial console (Ctrl-] detaches), or print its log with --log")
    .argument('<name>', 'VM name or id')
    .option('--log', 'print the console log and exit')
    .option('--bytes <n>', 'with --log: print the last N bytes (daemon default 64 KiB)', parsePositiveInt)
    .option(
      '--quiet-ms <ms>',
      'when stdin is not a terminal: end once stdin has ended and the guest has been quiet this long',
      parseNonNegativeInt,
      1000,
    )
    .option('--until <text>', 'when stdin is not a terminal: end as soon as the guest prints this text (for scripts that print a marker when done)')
    .action(async (name: string, opts: ConsoleCommandOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      checkName(name);
      if (opts.log) {
        const query = opts.bytes === undefined ? {} : { bytes: opts.bytes };
        ctx.print(await ctx.client.call('getVmConsole', { params: { id: name }, query }));
        return;
      }
      // Loaded here: the WebSocket library is only needed by this command, and it costs startup time.
      const { attachConsole } = await import('../console/session.js');
      // The console WebSocket opens with a single-use ticket bound to this VM and this user.
      const { ticket } = await ctx.client.call('createConsoleTicket', { params: { id: name }, body: { console: 'serial' } });
      const url = webSocketUrl(ctx.client.consoleUrl(name, ticket), ctx.endpoint.url.startsWith('unix:') ? ctx.endpoint.url.slice('unix:'.length) : undefined);
      await attachConsole({ url, headers: ctx.client.identityHeaders(), ...(ctx.endpoint.ca && { ca: ctx.endpoint.ca }), baseUrl: ctx.client.url, name, quietMs: opts.quietMs, ...(opts.until !== undefined && { until: opts.until }) });
    });

  registerExplainPlacement(vm);
  registerVmSnapshot(vm);
  registerVmNic(vm);
}

/** `herd vm start|pause|resume NAME`: an action without options. */
function addPowerAction(
  vm: Command,
  action: string,
  description: string,
  verb: string,
  call: (client: HerdClient, id: string) => Promise<Operation>,
): void {
  vm.command(action)
    .description(description)
    .argument('<name>', 'VM name or id')
    .option('--no-wait', noWaitHelp)
    .action(async (name: string, opts: { wait: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const op = await call(ctx.client, checkName(name));
      await finishAction(ctx, name, op, opts.wait, verb);
    });
}

/** `herd vm stop|restart NAME [--force] [--timeout S]`. */
function addStopAction(
  vm: Command,
  action: string,
  description: string,
  verb: string,
  call: (client: HerdClient, id: string, body: VmStopBody) => Promise<Operation>,
): void {
  vm.command(action)
    .description(description)
    .argument('<name>', 'VM name or id')
    .option('--force', 'kill the VM at once instead of an ACPI shutdown')
    .option('--timeout <seconds>', 'ACPI shutdown grace before a forced stop (daemon default 60)', parseNonNegativeInt)
    .option('--no-wait', noWaitHelp)
    .action(async (name: string, opts: StopOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      const body: VmStopBody = {
        ...(opts.force && { force: true }),
        ...(opts.timeout !== undefined && { timeoutSeconds: opts.timeout }),
      };
      const op = await call(ctx.client, checkName(name), body);
      await finishAction(ctx, name, op, opts.wait, verb);
    });
}

/** Waits for a power action (or prints its id) and then shows the VM's new state. */
async function finishAction(ctx: Context, name: string, op: Operation, wait: boolean, verb: string): Promise<void> {
  const done = await waitOrPrint(ctx, op, wait, { label: `${verb} vm '${name}'` });
  if (!done) return;
  const after = await getVm(ctx.client, name);
  ctx.print(render(ctx.format, after, () => `vm '${after.name}' is ${paintState(after.state, ctx.color)}\n`));
}

/** Whether `vm` reaches the network only through QEMU's user-mode NIC (no NIC on a herd network, but port forwards). */
function usesUserNetworking(vm: Vm): boolean {
  // Daemons from before herd networks send no nics.
  return (vm.spec.nics ?? []).length === 0 && vm.spec.portForwards.length > 0;
}

function getVm(client: HerdClient, name: string): Promise<Vm> {
  return client.call('getVm', { params: { id: name } });
}

/** Create has no "remove the health check": drop a null one. */
function withoutNullHealth<T extends { healthCheck?: unknown }>(fields: T): T & { healthCheck?: NonNullable<T['healthCheck']> } {
  const { healthCheck, ...rest } = fields;
  return (healthCheck === null || healthCheck === undefined ? rest : { ...rest, healthCheck }) as T & { healthCheck?: NonNullable<T['healthCheck']> };
}
