/** `herd login`: stores a token for a remote after checking with the daemon whom it belongs to. */
import type { Command } from 'commander';
import type { Whoami } from '@herd/api';
import { configPath, readConfig, writeConfig } from '../config/config-file.js';
import { clientFor } from '../context.js';
import { UsageError } from '../errors.js';
import { render, type OutputFormat } from '../output/format.js';
import { askSecret, canAsk, readStdin } from '../terminal/ask.js';
import { known } from './remote.js';

/** Adds `herd login` to `program`. */
export function registerLogin(program: Command): void {
  program
    .command('login')
    .description('log in to a remote with an API token: checks it with the daemon and stores it in the config file')
    .argument('[remote]', 'the remote (default: the current one)')
    .addHelpText('after', '\nThe token comes from --token (or HERD_TOKEN), else it is asked for at the terminal, or read from stdin when piped.')
    .action(async (name: string | undefined, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<{ token?: string; output: OutputFormat }>();
      const path = configPath();
      const target = name ?? readConfig(path).current;
      if (target === undefined) throw new UsageError('there is no remote to log in to; add one with `herd remote add NAME URL` first');
      const remote = known(readConfig(path), target);
      const token = (globals.token ?? (canAsk() ? await askSecret(`token for '${target}': `) : await readStdin())).trim();
      if (!token) throw new UsageError('no token was given: pass --token, type it when asked, or pipe it in');
      const who = await clientFor({ ...remote, token }).call('getWhoami');
      // Read again: the file may have changed while the token was typed.
      const config = readConfig(path);
      writeConfig(path, { ...config, remotes: { ...config.remotes, [target]: { ...known(config, target), token } } });
      process.stdout.write(render(globals.output, who, () => `logged in to '${target}' as ${describe(who)}\n`));
    });
}

function describe(who: Whoami): string {
  const roles = who.roles.map((r) => `${r.role} in ${r.project}`).join(', ');
  return `${who.user}${who.clusterAdmin ? ' (cluster admin)' : ''}${roles ? `; ${roles}` : ''}`;
}
