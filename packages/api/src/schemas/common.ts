/** Schema pieces shared by several resources. */
import { Type, type TSchema } from '@sinclair/typebox';
import { errorCodes } from '../errors.js';
import { namePattern } from '../names.js';

/** A resource name (a DNS label). */
export const Name = Type.String({ pattern: namePattern, minLength: 1, maxLength: 63 });
/** A UUID string. */
export const Uuid = Type.String({ format: 'uuid' });
/** A timestamp in RFC 3339 form. */
export const Timestamp = Type.String({ format: 'date-time' });
/** A resource reference in a path: its id or its name. */
export const IdOrName = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });

/** `T | null`. */
export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/** The error body every failed request returns. */
export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.Union(errorCodes.map((c) => Type.Literal(c))),
      message: Type.String(),
      details: Type.Record(Type.String(), Type.Unknown()),
    }),
  },
  { $id: 'Error' },
);

/** `?wait=true` on routes that start operations. */
export const WaitQuery = Type.Object(
  {
    wait: Type.Optional(Type.Boolean({ description: 'wait for the operation to finish before answering' })),
    timeoutSeconds: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 3600, description: 'how long ?wait=true waits (default 300)' }),
    ),
  },
  { additionalProperties: false },
);
