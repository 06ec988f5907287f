/** `herd image ...`: build, import, create-from-vm, list, show, delete. */
import { resolve } from 'node:path';
import { Argument, InvalidArgumentError, type Command } from 'commander';
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
    .description('import a qcow2, raw or ISO image from a file on the daemon host or an http(s) URL the daemon downloads')
    .argument('<name>', 'name of the image')
    .argument('<source>', 'a URL (http:// or https://), or a file (a relative path is resolved here, in the current directory)')
    .option('--sha256 <hex>', 'SHA-256 the imported bytes must have; on a mismatch nothing is kept', parseSha256)
    .option('--no-wait', noWaitHelp)
    .action(async (name: string, source: string, opts: { sha256?: string; wait: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      checkName(name);
      const from = isUrl(source) ? { url: source } : { path: resolve(source) };
      const op = await ctx.client.call('importImage', { body: { name, ...from, ...(opts.sha256 && { sha256: opts.sha256 }) } });
      await finishImageOp(ctx, op, opts.wait, `importing image '${name}'`);
    });

  image
    .command('create-from-vm')
    .description("make an image (a template for new VMs) from a stopped VM's root disk, flattened")
    .argument('<vm>', 'the VM (name or id); it must be stopped')
    .requiredOption('--name <name>', 'name of the image')
    .option('--no-wait', noWaitHelp)
    .action(async (vm: string, opts: { name: string; wait: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const op = await ctx.client.call('createImageFromVm', { body: { vm: checkName(vm), name: checkName(opts.name) } });
      await finishImageOp(ctx, op, opts.wait, `making image '${opts.name}' from vm '${vm}'`, opts.name);
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

/**
 * Waits for an operation that makes an image, with a progress bar (or prints its id), then shows
 * the image: from the result, else read by `name` (or the operation's target when that is the image).
 */
async function finishImageOp(ctx: Context, op: Operation, wait: boolean, label: string, name?: string): Promise<void> {
  const done = await waitOrPrint(ctx, op, wait, { label, bar: true });
  if (!done) return;
  const img = resultObject<Image>(done, 'image') ?? (await getImage(ctx.client, name ?? done.target.id ?? done.target.name));
  ctx.print(render(ctx.format, img, () => imageDetails(img)));
}

/** A source that starts with a scheme (`https://`, `ftp://`) is a URL; the daemon says which schemes it takes. */
function isUrl(source: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(source);
}

function parseSha256(text: string): string {
  if (!/^[0-9a-f]{64}$/i.test(text)) throw new InvalidArgumentError(`'${text}' is not a SHA-256: give its 64 hex digits`);
  return text.toLowerCase();
}

function getImage(client: HerdClient, id: string): Promise<Image> {
  return client.call('getImage', { params: { id } });
}
