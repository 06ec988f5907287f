/** Handlers of who-am-I, project, user and token routes. */
import { HerdError } from '@herd/api';
import type { FastifyRequest } from 'fastify';
import type { HandlerGroup } from '../handler.js';
import { requestScope } from '../request-scope-of.js';
import type { Principal } from '../../tenancy/request-scope.js';

type TenancyRoutes =
  | 'getWhoami'
  | 'listProjects'
  | 'getProject'
  | 'createProject'
  | 'updateProject'
  | 'deleteProject'
  | 'setProjectMember'
  | 'removeProjectMember'
  | 'listUsers'
  | 'getUser'
  | 'createUser'
  | 'deleteUser'
  | 'listTokens'
  | 'createToken'
  | 'revokeToken';

function principalOf(request: FastifyRequest): Principal {
  const scope = requestScope(request);
  if (!scope) throw new HerdError('unauthenticated', {});
  return scope.principal;
}

/** Tenancy routes. */
export const tenancyHandlers: HandlerGroup<TenancyRoutes> = (s) => ({
  getWhoami: (_input, _reply, request) => s.tenancy.whoami(principalOf(request)),
  listProjects: (_input, _reply, request) => s.tenancy.listProjects(principalOf(request)),
  getProject: ({ params }) => s.tenancy.getProject(params.id),
  createProject: async ({ body }, reply) => reply.code(201).send(await s.tenancy.createProject(body)),
  updateProject: ({ params, body }) => s.tenancy.updateProject(params.id, body),
  deleteProject: ({ params }) => s.tenancy.deleteProject(params.id),
  setProjectMember: ({ params, body }) => s.tenancy.setMember(params.id, params.user, body.role),
  removeProjectMember: ({ params }) => s.tenancy.removeMember(params.id, params.user),
  listUsers: () => s.tenancy.listUsers(),
  getUser: ({ params }) => s.tenancy.getUser(params.id),
  createUser: async ({ body }, reply) => reply.code(201).send(await s.tenancy.createUser(body)),
  deleteUser: ({ params }) => s.tenancy.deleteUser(params.id),
  listTokens: ({ params }) => s.tenancy.listTokens(params.id),
  createToken: async ({ params, body }, reply) => reply.code(201).send(await s.tenancy.createToken(params.id, body)),
  revokeToken: ({ params }) => s.tenancy.revokeToken(params.id, params.token),
});
