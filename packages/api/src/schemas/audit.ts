/**
 * The audit log: one record per state-changing request, chained by hashes so that an edited or
 * deleted record is found by `herd audit verify`.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Nullable, Timestamp } from './common.js';

/** One audit record. */
export const AuditRecord = Type.Object(
  {
    seq: Type.Integer({ description: 'position in the chain, from 1' }),
    at: Timestamp,
    user: Type.String({ description: 'the caller; `anonymous` when the request was not authenticated' }),
    project: Nullable(Type.String({ description: 'the project the request acted in; null on global routes and refused requests' })),
    action: Type.String({ description: 'the route id, e.g. createVm; `unknown` for paths outside the API' }),
    method: Type.String(),
    path: Type.String(),
    target: Nullable(Type.String({ description: 'the resource acted on (its name or id from the path)' })),
    params: Type.Unknown({ description: 'the request body and query, without secrets' }),
    status: Type.Integer({ description: 'the HTTP status answered' }),
    result: Type.Union([Type.Literal('ok'), Type.Literal('error')]),
    hash: Type.String({ description: 'sha256 of this record and the previous hash' }),
  },
  { $id: 'AuditRecord' },
);
/** One audit record. */
export type AuditRecord = Static<typeof AuditRecord>;

/** Filters of `GET /audit`. */
export const AuditQuery = Type.Object(
  {
    user: Type.Optional(Type.String({ maxLength: 100 })),
    project: Type.Optional(Type.String({ maxLength: 100 })),
    target: Type.Optional(Type.String({ maxLength: 100 })),
    since: Type.Optional(Timestamp),
    until: Type.Optional(Timestamp),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'newest records first; default 100' })),
  },
  { additionalProperties: false },
);
/** Filters of `GET /audit`. */
export type AuditQuery = Static<typeof AuditQuery>;

/** Answer of `POST /audit/verify`. */
export const AuditVerification = Type.Object(
  {
    ok: Type.Boolean(),
    records: Type.Integer({ description: 'records checked' }),
    firstBroken: Nullable(
      Type.Object({
        seq: Type.Integer({ description: 'the first record whose content or place in the chain does not match' }),
        reason: Type.String(),
      }),
    ),
  },
  { $id: 'AuditVerification' },
);
/** Answer of `POST /audit/verify`. */
export type AuditVerification = Static<typeof AuditVerification>;
