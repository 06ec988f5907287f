/** The `herd` command line: global options, the commands, and how errors become exit codes. */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { registerAlert } from './commands/alert.js';
import { registerAudit } from './commands/audit.js';
import { registerBackup } from './commands/backup.js';
import { registerEvents } from './commands/events.js';
import { registerHost } from './commands/host.js';
import { registerCluster } from './commands/host-drain.js';
import { registerImage } from './commands/image.js';
import { registerLogin } from './commands/login.js';
import { registerMetrics } from './commands/metrics.js';
import { registerNetwork } from './commands/network.js';
import { registerOp } from './commands/op.js';
import { registerPool } from './commands/pool.js';
import { registerProject } from './commands/project.js';
import { registerRemote } from './commands/remote.js';
import { registerSecgroup } from './commands/secgroup.js';
import { registerServe } from './commands/serve.js';
import { registerSnapshot } from './commands/snapshot.js';
import { registerTop } from './commands/top.js';
import { registerUser } from './commands/user.js';
import { registerVm } from './commands/vm.js';
import { registerVolume } from './commands/volume.js';
import { registerWebhook } from './commands/webhook.js';
import { registerWhoami } from './commands/whoami.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { defaultUrl } from './config/endpoint.js';
import { outputFormats } from './output/format.js';

const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Builds the commander program with every command; parse it once. */
export function buildProgram(): Command {
  const program = new Command('herd')
    .description('herd: create, run and watch QEMU/KVM virtual machines')
    .version(version)
    .addOption(new Option('--url <url>', `URL of the herd daemon: http(s)://HOST:PORT or unix:PATH (default: the current remote, else the local socket, else ${defaultUrl})`).env('HERD_URL'))
    .addOption(new Option('--token <token>', 'API token (default: the remote\'s, from `herd login`)').env('HERD_TOKEN'))
    .addOption(new Option('--project <name>', "project to act in (default: the remote's, else your default project)").env('HERD_PROJECT'))
    .addOption(new Option('-o, --output <format>', 'output format').choices(outputFormats).default('table'))
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'herd: ')) })
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 internal error, 2 usage, 3 not found, 4 conflict (also a full pool or quota),\n5 invalid request, 6 daemon unreachable or unavailable, 7 operation failed or timed out,\n8 audit log broken (herd audit verify), 9 not logged in or not allowed.',
    );
  registerVm(program);
  registerImage(program);
  registerPool(program);
  registerVolume(program);
  registerNetwork(program);
  registerSecgroup(program);
  registerSnapshot(program);
  registerBackup(program);
  registerHost(program);
  registerCluster(program);
  registerOp(program);
  registerEvents(program);
  registerAlert(program);
  registerWebhook(program);
  registerAudit(program);
  registerTop(program);
  registerMetrics(program);
  registerRemote(program);
  registerLogin(program);
  registerWhoami(program);
  registerProject(program);
  registerUser(program);
  registerServe(program);
  return program;
}

/**
 * Runs `herd` with `args` (without the node and script paths) and returns the exit code. Errors
 * are printed as `herd: <message>` on stderr (commander prints its own).
 */
export async function run(args: readonly string[]): Promise<ExitCode> {
  try {
    await buildProgram().parseAsync(args, { from: 'user' });
    return ExitCode.ok;
  } catch (e) {
    const code = exitCodeFor(e);
    if (!(e instanceof CommanderError)) {
      const detail = process.env.HERD_DEBUG && e instanceof Error ? e.stack : undefined;
      process.stderr.write(`herd: ${e instanceof Error ? e.message : String(e)}\n${detail ? `${detail}\n` : ''}`);
    }
    return code;
  }
}
