/**
 * `--network` and `--no-network` of `herd vm create`: the NICs the VM gets. Neither given, the
 * daemon decides (one NIC on the network named default, when it exists and no port forwards
 * are asked for); `--no-network` sends an empty list.
 */
import { Option, type Command } from 'commander';
import type { NicAdd } from '@herd/api';
import { UsageError } from '../errors.js';
import { parseNicSpec } from './network-options.js';

const conflict = 'give either --network or --no-network, not both';

/** Adds the options to `cmd`; their value is `network`: the NICs, or false for none. */
export function addNetworkOptions(cmd: Command): Command {
  let named = false;
  cmd
    .addOption(
      new Option(
        '--network <network>',
        'add a NIC on this network (repeatable); per NIC: NAME,ip=IP,mac=MAC,secgroup=GROUP (default: one on the network named default, when it exists and no --forward is given)',
      ).argParser((text: string, previous: NicAdd[] | false | undefined) => {
        if (previous === false) throw new UsageError(conflict);
        named = true;
        return [...(previous ?? []), parseNicSpec(text)];
      }),
    )
    .option('--no-network', 'no NIC on a herd network (port forwards then use QEMU user-mode networking)')
    // Commander lets a later --no-network silently undo earlier --network values; refuse that instead.
    .on('option:no-network', () => {
      if (named) throw new UsageError(conflict);
    });
  return cmd;
}
