/**
 * `herd remote ...`: the daemons this CLI knows, kept in its config file with their tokens,
 * projects and pinned certificates; commands talk to the current one unless told otherwise.
 */
import type { Command } from 'commander';
import { configPath, readConfig, writeConfig, type CliConfig, type Remote } from '../config/config-file.js';
import { checkUrl } from '../context.js';
import { UsageError } from '../errors.js';
import { checkName } from '../options.js';
import { render, type OutputFormat } from '../output/format.js';
import { remoteRows, remoteTable } from '../views/remote.js';
import { pinCertificate } from './pin-certificate.js';

const note = (text: string) => void process.stderr.write(`${text}\n`);

/** Adds `herd remote` and its subcommands to `program`. */
export function registerRemote(program: Command): void {
  const remote = program.command('remote').description('manage the herd daemons this CLI talks to (kept in ~/.config/herd/config.json)');

  remote
    .command('add')
    .description('add a daemon; for https, show its certificate and pin it once accepted (the first remote becomes current)')
    .argument('<name>', 'a name for the remote')
    .argument('<url>', 'https://HOST:PORT, http://127.0.0.1:PORT or unix:/path/to/herd.sock')
    .option('--accept-certificate', "trust the daemon's certificate without asking (check the fingerprint it prints)")
    .addHelpText('after', '\nThe global --token and --project, when given, are stored with the remote.')
    .action(async (name: string, url: string, opts: { acceptCertificate?: boolean }, cmd: Command) => {
      checkName(name);
      checkUrl(url);
      const path = configPath();
      const config = readConfig(path);
      const existing = config.remotes[name];
      if (existing) throw new UsageError(`there is a remote '${name}' already (${existing.url}); remove it first with \`herd remote remove ${name}\``);
      const ca = url.startsWith('https:') ? await pinCertificate(url, opts.acceptCertificate === true, note) : undefined;
      const token = fromCommandLine(cmd, 'token');
      const project = fromCommandLine(cmd, 'project');
      const added: Remote = { url: url.replace(/\/+$/, ''), ...(token && { token }), ...(project && { project }), ...(ca && { ca }) };
      const current = config.current ?? name;
      writeConfig(path, { current, remotes: { ...config.remotes, [name]: added } });
      // On a unix socket the daemon knows the caller by uid; elsewhere it needs a token.
      const hint = token || added.url.startsWith('unix:') ? '' : `; log in with \`herd login ${name}\` if it needs a token`;
      note(`added remote '${name}'${current === name ? ', now the current remote' : ''}${hint}`);
    });

  remote
    .command('list')
    .description('list the remotes: URL, project, how they authenticate, and which is current')
    .action((_opts: unknown, cmd: Command) => {
      const rows = remoteRows(readConfig(configPath()));
      process.stdout.write(render(cmd.optsWithGlobals<{ output: OutputFormat }>().output, rows, () => remoteTable(rows, process.stdout.isTTY ? process.stdout.columns : undefined)));
    });

  remote
    .command('switch')
    .description('make a remote the current one')
    .argument('<name>', 'the remote')
    .action((name: string) => {
      const path = configPath();
      const config = readConfig(path);
      known(config, name);
      writeConfig(path, { ...config, current: name });
      note(`the current remote is now '${name}'`);
    });

  remote
    .command('remove')
    .description('forget a remote, with its token and certificate')
    .argument('<name>', 'the remote')
    .action((name: string) => {
      const path = configPath();
      const config = readConfig(path);
      known(config, name);
      const remotes = Object.fromEntries(Object.entries(config.remotes).filter(([n]) => n !== name));
      writeConfig(path, { ...(config.current !== undefined && config.current !== name && { current: config.current }), remotes });
      note(`removed remote '${name}'${config.current === name ? '; there is no current remote now (`herd remote switch NAME`)' : ''}`);
    });
}

/** Throws a UsageError listing the remotes when `name` is not one of them. */
export function known(config: CliConfig, name: string): Remote {
  const remote = config.remotes[name];
  if (remote) return remote;
  const names = Object.keys(config.remotes);
  throw new UsageError(`there is no remote '${name}'; ${names.length ? `known remotes: ${names.join(', ')}` : 'add one with `herd remote add NAME URL`'}`);
}

/** A global option's value when typed on the command line, not inherited from the environment. */
function fromCommandLine(cmd: Command, key: 'token' | 'project'): string | undefined {
  return cmd.getOptionValueSourceWithGlobals(key) === 'cli' ? cmd.optsWithGlobals<Record<string, string | undefined>>()[key] : undefined;
}
