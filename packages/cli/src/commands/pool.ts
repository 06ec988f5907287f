/** `herd pool ...`: the storage pools volumes live in (a directory, or an LVM thin pool). */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { poolTypes, type PoolCreate } from '@herd/api';
import { contextOf } from '../context.js';
import { UsageError } from '../errors.js';
import { checkName } from '../options.js';
import { render } from '../output/format.js';
import { poolDetails, poolTable } from '../views/pool.js';

interface CreateOptions {
  readonly type: PoolCreate['type'];
  readonly path?: string;
  readonly vg?: string;
  readonly thinPool?: string;
  readonly shared?: boolean;
}

/** Adds `herd pool` and its subcommands to `program`. */
export function registerPool(program: Command): void {
  const pool = program.command('pool').description('create, list and delete the storage pools that hold volumes');

  pool
    .command('create')
    .description('add a pool: a directory (dir; also NFS or other shared mounts) or an existing LVM thin pool (lvm-thin)')
    .argument('<name>', 'name of the pool')
    .addOption(new Option('--type <type>', 'kind of storage').choices(poolTypes).makeOptionMandatory())
    .option('--path <dir>', 'dir: the directory on the daemon host, made if missing (a relative path is resolved here)')
    .option('--vg <vg>', 'lvm-thin: the volume group')
    .option('--thin-pool <lv>', 'lvm-thin: the thin pool LV in the volume group')
    .option('--shared', 'dir: the directory is shared storage every host reaches (live migration copies no disks)')
    .action(async (name: string, opts: CreateOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      const created = await ctx.client.call('createPool', { body: poolCreateBody(checkName(name), opts) });
      ctx.print(render(ctx.format, created, () => poolDetails(created, ctx.color)));
    });

  pool
    .command('list')
    .description('list pools with their space')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const pools = await ctx.client.call('listPools');
      ctx.print(render(ctx.format, pools, () => poolTable(pools, ctx.color, ctx.width)));
    });

  pool
    .command('show')
    .description('show a pool and its space')
    .argument('<name>', 'pool name or id')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const found = await ctx.client.call('getPool', { params: { id: checkName(name) } });
      ctx.print(render(ctx.format, found, () => poolDetails(found, ctx.color)));
    });

  pool
    .command('delete')
    .description('forget an empty pool; its directory or thin pool is left as it is')
    .argument('<name>', 'pool name or id')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const deleted = await ctx.client.call('deletePool', { params: { id: checkName(name) } });
      ctx.print(render(ctx.format, deleted, () => `pool '${deleted.name}' deleted\n`));
    });
}

/** The request for `pool create`, after checking the options fit the type (the daemon would name API fields, not options). */
function poolCreateBody(name: string, o: CreateOptions): PoolCreate {
  if (o.type === 'dir') {
    if (o.vg !== undefined || o.thinPool !== undefined) throw new UsageError('--vg and --thin-pool are for lvm-thin pools; a dir pool takes --path');
    if (o.path === undefined) throw new UsageError('a dir pool needs --path DIR');
    return { name, type: 'dir', path: resolve(o.path), ...(o.shared && { shared: true }) };
  }
  if (o.path !== undefined) throw new UsageError('--path is for dir pools; an lvm-thin pool takes --vg and --thin-pool');
  if (o.shared) throw new UsageError('--shared is for dir pools; an lvm-thin pool is local to its host');
  if (o.vg === undefined || o.thinPool === undefined) throw new UsageError('an lvm-thin pool needs --vg VG and --thin-pool LV (an existing thin pool)');
  return { name, type: 'lvm-thin', volumeGroup: o.vg, thinPool: o.thinPool };
}
