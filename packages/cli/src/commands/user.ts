/**
 * `herd user ...`: users, who hold roles in projects (or are cluster admins), and their API
 * tokens. Users are managed by cluster admins; a user may list, make and revoke their own tokens.
 */
import type { Command } from 'commander';
import { contextOf } from '../context.js';
import { checkName, parsePositiveInt } from '../options.js';
import { render } from '../output/format.js';
import { tokenCreatedText, tokenTable } from '../views/token.js';
import { userDetails, userTable } from '../views/user.js';

/** Adds `herd user` and `herd user token` to `program`. */
export function registerUser(program: Command): void {
  const user = program.command('user').description('users and their API tokens (roles in projects: `herd project member`)');

  user
    .command('list')
    .description('list users, whether each is a cluster admin, and their roles')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const users = await ctx.client.call('listUsers');
      ctx.print(render(ctx.format, users, () => userTable(users, ctx.width)));
    });

  user
    .command('show')
    .description('show a user and their roles')
    .argument('<name>', 'user name or id')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const found = await ctx.client.call('getUser', { params: { id: checkName(name) } });
      ctx.print(render(ctx.format, found, () => userDetails(found)));
    });

  user
    .command('create')
    .description('create a user with no roles; give them some with `herd project member set`, and a token with `herd user token create`')
    .argument('<name>', 'name of the user')
    .option('--cluster-admin', 'may do anything in every project, and manage users, projects, pools and the audit log')
    .action(async (name: string, opts: { clusterAdmin?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const body = { name: checkName(name), ...(opts.clusterAdmin && { clusterAdmin: true }) };
      const created = await ctx.client.call('createUser', { body });
      ctx.print(render(ctx.format, created, () => userDetails(created)));
    });

  user
    .command('delete')
    .description('delete a user: their roles go, and their tokens stop working at once')
    .argument('<name>', 'user name or id')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const deleted = await ctx.client.call('deleteUser', { params: { id: checkName(name) } });
      ctx.print(render(ctx.format, deleted, () => `user '${deleted.name}' deleted; their tokens no longer work\n`));
    });

  const token = user.command('token').description("a user's API tokens: herd shows a token's secret once, when it is made");

  token
    .command('create')
    .description('make an API token for a user and print its secret, which is not shown again')
    .argument('<user>', 'user name or id')
    .argument('<name>', 'name of the token (what it is for: laptop, ci)')
    .option('--expires-in-days <n>', 'days until the token stops working (1-3650); default: it does not expire', parsePositiveInt)
    .action(async (userName: string, name: string, opts: { expiresInDays?: number }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const body = { name: checkName(name), ...(opts.expiresInDays !== undefined && { expiresInDays: opts.expiresInDays }) };
      const created = await ctx.client.call('createToken', { params: { id: checkName(userName) }, body });
      ctx.print(render(ctx.format, created, () => tokenCreatedText(created, ctx.color)));
    });

  token
    .command('list')
    .description("list a user's tokens (never their secrets): when made, when they expire, when last used, and whether they still work")
    .argument('<user>', 'user name or id')
    .action(async (userName: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const tokens = await ctx.client.call('listTokens', { params: { id: checkName(userName) } });
      ctx.print(render(ctx.format, tokens, () => tokenTable(tokens, ctx.color, ctx.width)));
    });

  token
    .command('revoke')
    .description('revoke a token: it stops working at once')
    .argument('<user>', 'user name or id')
    .argument('<token>', 'token name or id')
    .action(async (userName: string, tokenName: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const revoked = await ctx.client.call('revokeToken', { params: { id: checkName(userName), token: checkName(tokenName) } });
      ctx.print(render(ctx.format, revoked, () => `token '${revoked.name}' of user '${revoked.user}' revoked\n`));
    });
}
