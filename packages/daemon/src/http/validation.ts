/**
 * Request validation: JSON bodies are checked strictly (no type coercion, unknown properties
 * rejected), while query strings and path params are coerced from text as URLs require.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { HerdError, nameProblem, namePattern } from '@herd/api';

const strict = addFormats.default(new Ajv.default({ verbose: true, coerceTypes: false, removeAdditional: false, useDefaults: false, strict: false, allErrors: false }));
const coercing = addFormats.default(new Ajv.default({ verbose: true, coerceTypes: true, removeAdditional: false, useDefaults: false, strict: false, allErrors: false }));

/** Fastify's validator compiler: strict for bodies, coercing for the rest. */
export function validatorCompiler({ schema, httpPart }: { schema: object; httpPart?: string }): ValidateFunction {
  return (httpPart === 'body' ? strict : coercing).compile(schema);
}

/** Turns the first ajv error of a request part into a validation_failed error that names the field. */
export function validationError(errors: readonly ErrorObject[], part: string, data: unknown): HerdError {
  const e = errors[0];
  if (!e) return new HerdError('validation_failed', { reason: `the ${part} is not valid` });
  const path = e.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const where = part === 'body' ? '' : `${part === 'querystring' ? 'query parameter' : 'path parameter'} `;
  switch (e.keyword) {
    case 'additionalProperties': {
      const extra = String(e.params.additionalProperty);
      const field = path ? `${path}.${extra}` : extra;
      // A map whose keys follow a pattern (labels): the key is malformed, not unknown.
      const keyPatterns = Object.keys((e.parentSchema as { patternProperties?: object } | undefined)?.patternProperties ?? {});
      if (keyPatterns.length)
        return new HerdError('validation_failed', { field, reason: `'${extra}' is not a valid key of ${path || part}: keys must match ${keyPatterns.join(' or ')}` });
      return new HerdError('validation_failed', { field, reason: `unknown ${where}field '${field}'; it is not part of the API (see /api/v1/openapi.json)` });
    }
    case 'required': {
      const missing = String(e.params.missingProperty);
      const field = path ? `${path}.${missing}` : missing;
      return new HerdError('validation_failed', { field, reason: `${where}'${field}' is required` });
    }
    case 'pattern':
    case 'maxLength':
    case 'minLength':
      if ((e.parentSchema as { pattern?: unknown } | undefined)?.pattern === namePattern) {
        const value = path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], data);
        return new HerdError('validation_failed', { field: path, reason: nameProblem(String(value)) ?? 'not a valid name' });
      }
      break;
    case 'type':
      if (!path) return new HerdError('validation_failed', { reason: `the ${part} must be a JSON ${String(e.params.type)}` });
      break;
  }
  return new HerdError('validation_failed', { field: path || part, reason: `${where}'${path || part}' ${e.message ?? 'is not valid'}` });
}
