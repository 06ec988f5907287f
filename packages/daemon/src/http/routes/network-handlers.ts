/** Handlers of the network, NIC and security group routes. */
import type { HandlerGroup } from '../handler.js';
import { replyOperation } from '../reply-operation.js';

/** Network, NIC and security group routes. */
export const networkHandlers: HandlerGroup<
  | 'listNetworks'
  | 'getNetwork'
  | 'createNetwork'
  | 'deleteNetwork'
  | 'listVmNics'
  | 'addVmNic'
  | 'updateVmNic'
  | 'removeVmNic'
  | 'listSecurityGroups'
  | 'getSecurityGroup'
  | 'createSecurityGroup'
  | 'deleteSecurityGroup'
  | 'addSecurityGroupRule'
  | 'removeSecurityGroupRule'
> = (s) => ({
  listNetworks: () => s.networks.list(),
  getNetwork: ({ params }) => s.networks.get(params.id),
  createNetwork: async ({ body }, reply) => reply.code(201).send(await s.networks.create(body)),
  deleteNetwork: ({ params }) => s.networks.delete(params.id),
  listVmNics: ({ params }) => s.nics.list(params.id),
  addVmNic: async ({ params, body, query }, reply) => replyOperation(reply, s.ops, await s.nics.add(params.id, body), query),
  updateVmNic: ({ params, body }) => s.nics.update(params.id, params.nic, body),
  removeVmNic: async ({ params, query }, reply) => replyOperation(reply, s.ops, await s.nics.remove(params.id, params.nic), query),
  listSecurityGroups: () => s.securityGroups.list(),
  getSecurityGroup: ({ params }) => s.securityGroups.get(params.id),
  createSecurityGroup: async ({ body }, reply) => reply.code(201).send(await s.securityGroups.create(body)),
  deleteSecurityGroup: ({ params }) => s.securityGroups.delete(params.id),
  addSecurityGroupRule: async ({ params, body }, reply) => reply.code(201).send(await s.securityGroups.addRule(params.id, body)),
  removeSecurityGroupRule: ({ params }) => s.securityGroups.removeRule(params.id, params.rule),
});
