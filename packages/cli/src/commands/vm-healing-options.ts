/**
 * The self-healing options of `herd vm create` and `herd vm set`: restart policy and its cap,
 * health check, watchdog, user-mode port forwards; and the display, which like the watchdog is
 * a device chosen for the next start.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { vmDisplays, type HealthCheck, type PortForward, type VmUpdate } from '@herd/api';
import { UsageError } from '../errors.js';
import { parsePositiveInt } from '../options.js';

/** The parsed self-healing options. */
export interface HealingOptions {
  readonly restartPolicy?: 'no' | 'on-failure' | 'always';
  readonly maxRestarts?: number;
  readonly restartWindow?: number;
  readonly healthTcp?: number;
  readonly healthConsole?: string;
  readonly health?: boolean;
  readonly healthInterval?: number;
  readonly healthTimeout?: number;
  readonly healthRetries?: number;
  readonly healthStartPeriod?: number;
  readonly watchdog?: 'off' | 'poweroff' | 'reset' | 'pause';
  readonly forward?: PortForward[];
  readonly display?: 'none' | 'vnc';
}

function parseForward(text: string, previous: PortForward[] = []): PortForward[] {
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(text);
  const hostPort = Number(m?.[1]);
  const guestPort = Number(m?.[2]);
  if (!m || hostPort < 1 || hostPort > 65535 || guestPort < 1 || guestPort > 65535)
    throw new InvalidArgumentError(`'${text}' is not HOSTPORT:GUESTPORT (for example 18080:80)`);
  return [...previous, { hostPort, guestPort }];
}

/** Adds the options to `cmd`; `forUpdate` adds --no-health and leaves out port forwards. */
export function addHealingOptions(cmd: Command, forUpdate = false): Command {
  cmd
    .addOption(new Option('--restart-policy <policy>', 'restart after a failure (on-failure), after any stop not asked for (always), or never (no)').choices(['no', 'on-failure', 'always']))
    .option('--max-restarts <n>', 'restarts allowed within --restart-window before the VM goes to error (default 5)', parsePositiveInt)
    .option('--restart-window <seconds>', 'window for --max-restarts (default 600)', parsePositiveInt)
    .option('--health-tcp <port>', 'health check: this host port (127.0.0.1) must answer', parsePositiveInt)
    .option('--health-console <regex>', 'health check: the guest must print this on its serial console within each interval')
    .option('--health-interval <seconds>', 'seconds between health checks (default 10)', parsePositiveInt)
    .option('--health-timeout <seconds>', 'seconds one check may take (default 5)', parsePositiveInt)
    .option('--health-retries <n>', 'failed checks in a row that make the VM unhealthy (default 3)', parsePositiveInt)
    .option('--health-start-period <seconds>', 'grace after start before failed checks count (default 30)', parsePositiveInt)
    .addOption(new Option('--watchdog <action>', 'add an i6300esb watchdog; what happens when the guest stops petting it').choices(['off', 'poweroff', 'reset', 'pause']))
    .addOption(new Option('--display <display>', 'vnc: a VGA screen for the graphical console of the web UI (default none: serial console only; applies at the next start)').choices([...vmDisplays]));
  if (forUpdate) cmd.option('--no-health', 'remove the health check');
  else cmd.option('--forward <host:guest>', 'forward 127.0.0.1:HOST to the guest port GUEST through a user-mode NIC (repeatable)', parseForward);
  return cmd;
}

/** The API fields for the options given (only those given). */
export function healingFields(o: HealingOptions): VmUpdate & { portForwards?: PortForward[] } {
  if (o.healthTcp !== undefined && o.healthConsole !== undefined) throw new UsageError('give either --health-tcp or --health-console, not both');
  const timing = {
    ...(o.healthInterval !== undefined && { intervalSeconds: o.healthInterval }),
    ...(o.healthTimeout !== undefined && { timeoutSeconds: o.healthTimeout }),
    ...(o.healthRetries !== undefined && { retries: o.healthRetries }),
    ...(o.healthStartPeriod !== undefined && { startPeriodSeconds: o.healthStartPeriod }),
  };
  let healthCheck: HealthCheck | null | undefined;
  if (o.healthTcp !== undefined) healthCheck = { type: 'tcp', port: o.healthTcp, ...timing };
  else if (o.healthConsole !== undefined) healthCheck = { type: 'console', pattern: o.healthConsole, ...timing };
  else if (o.health === false) healthCheck = null;
  else if (Object.keys(timing).length) throw new UsageError('--health-interval, --health-timeout, --health-retries and --health-start-period go with --health-tcp or --health-console');
  return {
    ...(o.restartPolicy !== undefined && { restartPolicy: o.restartPolicy }),
    ...((o.maxRestarts !== undefined || o.restartWindow !== undefined) && {
      restartLimit: { maxRestarts: o.maxRestarts ?? 5, windowSeconds: o.restartWindow ?? 600 },
    }),
    ...(healthCheck !== undefined && { healthCheck }),
    ...(o.watchdog !== undefined && { watchdog: o.watchdog }),
    ...(o.display !== undefined && { display: o.display }),
    ...(o.forward !== undefined && { portForwards: o.forward }),
  };
}
