/**
 * `herd serve`: runs the daemon in the foreground. The daemon is loaded from its package's
 * public entry at run time, so the CLI does not depend on it for anything else.
 */
import { resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';

/** The options the daemon's `serve` takes. */
export interface ServeOptions {
  readonly dataDir: string;
  readonly listen: string;
  readonly socket?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly accel?: 'auto' | 'kvm' | 'tcg';
  readonly logLevel?: string;
  readonly demoImage?: 'tiny';
  readonly metricsIntervalSeconds?: number;
  readonly defaultNetwork?: boolean;
  readonly db?: string;
  readonly hostName?: string;
  readonly advertise?: string;
}

/** What the CLI uses of `@herd/daemon`. */
interface DaemonModule {
  serve(options: ServeOptions): Promise<void>;
}

/** The daemon package, held in a variable so the CLI need not depend on it to build. */
const daemonPackage: string = '@herd/daemon';

/** Adds `herd serve` to `program`. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the herd daemon (API server, control loops, VM agent) in the foreground')
    .addOption(new Option('--data-dir <dir>', 'where herd keeps its database, images and disks').env('HERD_DATA_DIR').default('./var'))
    .addOption(new Option('--listen <addr>', 'address to serve the API on: HOST:PORT (HTTPS unless loopback) or unix:PATH').env('HERD_LISTEN').default('127.0.0.1:8080'))
    .addOption(new Option('--socket <path>', 'the local socket, where root has full rights (default: DATA_DIR/herd.sock)').env('HERD_SOCKET'))
    .addOption(new Option('--tls-cert <file>', "PEM certificate (and chain) for HTTPS, instead of herd's own CA").env('HERD_TLS_CERT'))
    .addOption(new Option('--tls-key <file>', 'PEM key of --tls-cert').env('HERD_TLS_KEY'))
    .addOption(
      new Option('--accel <accel>', 'accelerator for VMs that ask for auto (default: KVM when usable, else TCG)')
        .choices(['auto', 'kvm', 'tcg'])
        .env('HERD_ACCEL'),
    )
    .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).env('HERD_LOG_LEVEL').default('info'))
    .option('--demo-image', "build the demo image 'tiny' in the background if it does not exist yet")
    .addOption(new Option('--no-default-network', "do not create the NAT network 'default' (made when running as root)").env('HERD_NO_DEFAULT_NETWORK'))
    .addOption(new Option('--metrics-interval <seconds>', 'seconds between metric samples').env('HERD_METRICS_INTERVAL').default('10').argParser(parseInterval))
    .addOption(new Option('--db <url>', 'the database: a SQLite file, or postgres://USER@HOST/DB that every host of a cluster shares (default: DATA_DIR/herd.db)').env('HERD_DB'))
    .addOption(new Option('--host-name <name>', "this host's name in the cluster (default: the machine's hostname)").env('HERD_HOST_NAME'))
    .addOption(new Option('--advertise <url>', "the https URL other hosts reach this host's API on (cluster mode)").env('HERD_ADVERTISE'))
    .addOption(new Option('--rebalance <level>', 'how the leader evens out host loads: manual (plans only: herd cluster rebalance), partial (relieves hosts above 90% load), full (whenever the spread stays above the threshold)').choices(['manual', 'partial', 'full']).env('HERD_REBALANCE'))
    .addOption(new Option('--rebalance-threshold <spread>', 'load spread between hosts (0..1) above which moves are planned (default 0.25)').argParser(parseFraction))
    .addOption(new Option('--rebalance-budget <n>', 'most migrations per rebalancing pass (default 2)').argParser(parseBudget))
    .action(async (opts: { dataDir: string; listen: string; socket?: string; tlsCert?: string; tlsKey?: string; accel?: ServeOptions['accel']; logLevel: string; demoImage?: boolean; metricsInterval: number | string; defaultNetwork: boolean; db?: string; hostName?: string; advertise?: string; rebalance?: 'manual' | 'partial' | 'full'; rebalanceThreshold?: number; rebalanceBudget?: number }) => {
      const rebalance = {
        ...(opts.rebalance !== undefined && { automation: opts.rebalance }),
        ...(opts.rebalanceThreshold !== undefined && { threshold: opts.rebalanceThreshold }),
        ...(opts.rebalanceBudget !== undefined && { budget: opts.rebalanceBudget }),
      };
      const daemon = await loadDaemon();
      await daemon.serve({
        dataDir: resolve(opts.dataDir),
        listen: opts.listen,
        ...(opts.socket !== undefined && { socket: resolve(opts.socket) }),
        ...(opts.tlsCert !== undefined && { tlsCert: resolve(opts.tlsCert) }),
        ...(opts.tlsKey !== undefined && { tlsKey: resolve(opts.tlsKey) }),
        ...(opts.accel !== undefined && { accel: opts.accel }),
        logLevel: opts.logLevel,
        ...(opts.demoImage && { demoImage: 'tiny' as const }),
        metricsIntervalSeconds: Number(opts.metricsInterval),
        defaultNetwork: opts.defaultNetwork,
        // A SQLite file named relative to here; a postgres:// URL as it is.
        ...(opts.db !== undefined && { db: /^postgres(ql)?:\/\//i.test(opts.db) ? opts.db : resolve(opts.db) }),
        ...(opts.hostName !== undefined && { hostName: opts.hostName }),
        ...(opts.advertise !== undefined && { advertise: opts.advertise }),
        ...(Object.keys(rebalance).length > 0 && { rebalance }),
      });
    });
}

/** `--rebalance-threshold`: a spread of loads, above 0 and below 1. */
function parseFraction(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError('expected a load spread between 0 and 1, e.g. 0.25');
  return n;
}

/** `--rebalance-budget`: migrations per pass, 1 to 100. */
function parseBudget(value: string): number {
  const n = Number(value);
  if (!(Number.isInteger(n) && n >= 1 && n <= 100)) throw new InvalidArgumentError('expected a number of migrations from 1 to 100');
  return n;
}

/** `--metrics-interval`: whole or fractional seconds from 1 to 3600. */
function parseInterval(value: string): number {
  const n = Number(value);
  if (!(n >= 1 && n <= 3600)) throw new InvalidArgumentError('expected seconds from 1 to 3600');
  return n;
}

/** Imports the daemon package; explains what to do when it is missing or not built. */
async function loadDaemon(): Promise<DaemonModule> {
  let mod: Partial<DaemonModule>;
  try {
    mod = (await import(daemonPackage)) as Partial<DaemonModule>;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED')
      throw new Error(
        `cannot load the herd daemon (${daemonPackage}): ${(e as Error).message}; install it next to the CLI, or build it with \`npm run build\``,
      );
    throw e;
  }
  if (typeof mod.serve !== 'function') throw new Error(`${daemonPackage} has no serve() function; the CLI and the daemon versions do not match`);
  return mod as DaemonModule;
}
