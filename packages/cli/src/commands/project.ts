/**
 * `herd project ...`: projects own VMs, volumes, networks and images; each has a quota (limits
 * on what it may use) and members with roles. Creating, changing and deleting projects, and
 * members, is for cluster admins.
 */
import { Argument, type Command } from 'commander';
import { projectRoles, type ProjectRole } from '@herd/api';
import { contextOf } from '../context.js';
import { UsageError } from '../errors.js';
import { checkName } from '../options.js';
import { render } from '../output/format.js';
import { projectDetails, projectTable } from '../views/project.js';
import { addLimitOptions, limitsFrom, type LimitOptions } from './project-limits.js';

interface DescribedLimitOptions extends LimitOptions {
  readonly description?: string;
}

/** Adds `herd project` and its subcommands to `program`. */
export function registerProject(program: Command): void {
  const project = program.command('project').description('projects: their quotas (limits on VMs, vCPUs, memory, disk, networks) and members');

  project
    .command('list')
    .description('list the projects you have a role in (all of them, for cluster admins), each use against its limit')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const projects = await ctx.client.call('listProjects');
      ctx.print(render(ctx.format, projects, () => projectTable(projects, ctx.width)));
    });

  project
    .command('show')
    .description("show a project: what it uses against its limits, and its members' roles")
    .argument('<name>', 'project name or id')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const found = await ctx.client.call('getProject', { params: { id: checkName(name) } });
      ctx.print(render(ctx.format, found, () => projectDetails(found, ctx.color)));
    });

  addLimitOptions(
    project
      .command('create')
      .description('create a project (cluster admins); limits not given are unlimited')
      .argument('<name>', 'name of the project')
      .option('--description <text>', 'what the project is for'),
  ).action(async (name: string, opts: DescribedLimitOptions, cmd: Command) => {
    const ctx = contextOf(cmd);
    const limits = limitsFrom(opts);
    const body = { name: checkName(name), ...(opts.description !== undefined && { description: opts.description }), ...(limits && { limits }) };
    const created = await ctx.client.call('createProject', { body });
    ctx.print(render(ctx.format, created, () => projectDetails(created, ctx.color)));
  });

  addLimitOptions(
    project
      .command('set-limits')
      .description('change the limits given (none clears one) and keep the others; also the description')
      .argument('<name>', 'project name or id')
      .option('--description <text>', 'a new description'),
  ).action(async (name: string, opts: DescribedLimitOptions, cmd: Command) => {
    const ctx = contextOf(cmd);
    const limits = limitsFrom(opts);
    if (!limits && opts.description === undefined)
      throw new UsageError('say what to change: --max-vms, --max-vcpus, --max-memory, --max-disk, --max-networks (a number or none) or --description');
    const body = { ...(opts.description !== undefined && { description: opts.description }), ...(limits && { limits }) };
    const updated = await ctx.client.call('updateProject', { params: { id: checkName(name) }, body });
    ctx.print(render(ctx.format, updated, () => projectDetails(updated, ctx.color)));
  });

  project
    .command('delete')
    .description('delete a project that owns nothing any more (no VMs, volumes, networks or images)')
    .argument('<name>', 'project name or id')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const deleted = await ctx.client.call('deleteProject', { params: { id: checkName(name) } });
      ctx.print(render(ctx.format, deleted, () => `project '${deleted.name}' deleted\n`));
    });

  const member = project.command('member').description("give users roles in a project, or take them away (cluster admins)");

  member
    .command('set')
    .description("give a user a role in a project, replacing the role they had there")
    .argument('<project>', 'project name or id')
    .argument('<user>', 'user name or id')
    .addArgument(new Argument('<role>', 'viewer: read; operator: also start and stop VMs, open consoles; admin: also create, change and delete').choices(projectRoles))
    .action(async (projectName: string, user: string, role: ProjectRole, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const updated = await ctx.client.call('setProjectMember', { params: { id: checkName(projectName), user: checkName(user) }, body: { role } });
      ctx.print(render(ctx.format, updated, () => `user '${user}' is ${role} in project '${updated.name}'\n`));
    });

  member
    .command('remove')
    .description("take a user's role in a project away")
    .argument('<project>', 'project name or id')
    .argument('<user>', 'user name or id')
    .action(async (projectName: string, user: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const updated = await ctx.client.call('removeProjectMember', { params: { id: checkName(projectName), user: checkName(user) } });
      ctx.print(render(ctx.format, updated, () => `user '${user}' has no role in project '${updated.name}' any more\n`));
    });
}
