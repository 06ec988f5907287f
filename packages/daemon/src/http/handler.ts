/** The shape of a route handler: typed inputs from the route table, a JSON-able answer. */
import type { RouteId, RouteInput, routes } from '@herd/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { Services } from './services.js';

/** Validated inputs of route K. */
export type Input<K extends RouteId> = Required<Pick<RouteInput<(typeof routes)[K]>, 'params' | 'query' | 'body'>>;

/** A handler of route K. */
export type Handler<K extends RouteId> = (input: Input<K>, reply: FastifyReply, request: FastifyRequest) => Promise<unknown>;

/** Handlers for a group of routes, made from the services. */
export type HandlerGroup<K extends RouteId> = (services: Services) => { [P in K]: Handler<P> };

/**
 * The WebSocket side of a route marked `websocket` in the route table. `admit`, when given, runs
 * before the upgrade (for plain requests too) and refuses by throwing a HerdError, which the
 * client gets as an ordinary JSON error response instead of a WebSocket.
 */
export interface WebSocketRoute {
  readonly admit?: (request: FastifyRequest) => Promise<void>;
  readonly handler: (socket: WebSocket, request: FastifyRequest) => Promise<void>;
}
