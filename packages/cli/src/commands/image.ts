/** `herd image ...`: build, import, list, show, delete. */
import { resolve } from 'node:path';
import { Argument, type Command } from 'commander';
import type { HerdClient, Image, Operation } from '@herd/api';
import { contextOf, type Context } from '../context.js';
import { resultObject, waitOrPrint } from '../operations.js';
import { checkName } from '../options.js';
import { render } from '../output/format.js';
import { imageDetails, imageTable } from '../views/image.js';

const noWaitHelp = "return at once, printing the operation's id";

/** Adds `herd image` and its subcommands to `program`. */
export function registerImage(program: Command): void {
  const image = program.command('image').description('build, import and manage the images VMs are created from');

  image
    .command('build')
    .description('build an image from a recipe (tiny: a guest made from the host kernel and busybox)')
    .addArgument(new Argument('<recipe>', 'what to build').choices(['tiny']))
    .option('--name <name>', 'name of the image (default: the recipe name)')
    .option('--force', 'rebuild even if the image exists')
    .option('--no-wait', noWaitHelp)
    .action(async (recipe: 'tiny', opts: { name?: string; force?: boolean; wait: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      if (opts.name !== undefined) checkName(opts.name);
      const body = { recipe, ...(opts.name !== undefined && { name: opts.name }), ...(opts.force && { force: true }) };
      const op = await ctx.client.call('buildImage', { body });
      await finishImageOp(ctx, op, opts.wait, `building image '${opts.name ?? recipe}'`);
    });

  image
    .command('import')
    .description('import a qcow2 or raw disk image from a file on the daemon host')
    .argument('<path>', 'the file (a relative path is resolved here, in the current directory)')
    .requiredOption('--name <name>', 'name of the image')
    .option('--no-wait', noWaitHelp)
    .action(async (path: string, opts: { name: string; wait: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      checkName(opts.name);
      const op = await ctx.client.call('importImage', { body: { name: opts.name, path: resolve(path) } });
      await finishImageOp(ctx, op, opts.wait, `importing image '${opts.name}'`);
    });

  image
    .command('list')
    .description('list images')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const images = await ctx.client.call('listImages');
      ctx.print(render(ctx.format, images, () => imageTable(images, ctx.width)));
    });

  image
    .command('show')
    .description('show an image')
    .argument('<name>', 'image name or id')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const found = await getImage(ctx.client, checkName(name));
      ctx.print(render(ctx.format, found, () => imageDetails(found)));
    });

  image
    .command('delete')
    .description('delete an image that no VM uses')
    .argument('<name>', 'image name or id')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const deleted = await ctx.client.call('deleteImage', { params: { id: checkName(name) } });
      ctx.print(render(ctx.format, deleted, () => `image '${deleted.name}' deleted\n`));
    });
}

/** Waits for a build or import with a progress bar (or prints its id), then shows the image. */
async function finishImageOp(ctx: Context, op: Operation, wait: boolean, label: string): Promise<void> {
  const done = await waitOrPrint(ctx, op, wait, { label, bar: true });
  if (!done) return;
  const img = resultObject<Image>(done, 'image') ?? (await getImage(ctx.client, done.target.id ?? done.target.name));
  ctx.print(render(ctx.format, img, () => imageDetails(img)));
}

function getImage(client: HerdClient, id: string): Promise<Image> {
  return client.call('getImage', { params: { id } });
}
