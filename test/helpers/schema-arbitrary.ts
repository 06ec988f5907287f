/**
 * fast-check arbitraries made from the route table's JSON schemas: mostly values the schema
 * accepts (some naming things that exist), and in every part, now and then, one it refuses
 * (a wrong type, an edge value, a missing or unknown property, a deep or huge value). For the
 * fuzz test; pure.
 */
import fc from 'fast-check';

/** The subset of JSON Schema that TypeBox emits for the route table. */
export interface JsonSchema {
  readonly type?: string;
  readonly const?: unknown;
  readonly anyOf?: readonly JsonSchema[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly items?: JsonSchema;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly pattern?: string;
  readonly format?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
}

/**
 * Strings that name real things (names and ids of resources that exist), offered to string
 * fields: by field name (`image`, `vm`, `securityGroups`, ...), else those under `*`.
 */
export type RealNames = Readonly<Record<string, readonly string[]>>;

const uuidRe = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Strings that break parsers, paths, names and SQL. */
export const nastyStrings = [
  '', ' ', '..', '../../../../etc/passwd', '%2e%2e', '\u0000', 'a\u0000b', '\n', 'null', 'true', '0', '-1', '1e400',
  'UPPER', '-dash-', 'a'.repeat(64), 'é', '😀', '\ud800', '\u202e', '<script>alert(1)</script>', "'; DROP TABLE vms; --",
  '*', '%s%n', '${process.exit()}', '{{7*7}}', '\\', '/', '//', '/dev/zero', '__proto__', 'constructor',
] as const;

/** Numbers at and beyond the usual edges. */
const nastyNumbers = [-1, 0, 0.5, -0, 1e308, -1e308, 2 ** 53 + 2, -(2 ** 31) - 1, 2 ** 32, 4294967296 * 4294967296, 1e-300];

/** Any JSON value that is not of `schema`'s type (or an edge value of it). */
function brokenOf(schema: JsonSchema): fc.Arbitrary<unknown> {
  const edges: fc.Arbitrary<unknown>[] = [fc.constantFrom(...nastyStrings), fc.constantFrom(...nastyNumbers)];
  if (schema.type === 'integer' || schema.type === 'number') {
    const around = [schema.minimum, schema.maximum].filter((n): n is number => n !== undefined).flatMap((n) => [n - 1, n + 1, n + 0.5]);
    if (around.length) edges.push(fc.constantFrom(...around));
    edges.push(fc.integer().map(String));
  }
  if (schema.type === 'string' && schema.maxLength !== undefined) edges.push(fc.constant('x'.repeat(schema.maxLength + 1)));
  return fc.oneof(
    ...edges,
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.constantFrom('x'.repeat(20_000), 'é'.repeat(5_000)),
    fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
    fc.integer({ min: 50, max: 1000 }).map(nested),
  );
}

/** `{"a":{"a":...}}`, `depth` levels deep. */
function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

/** Sets own enumerable property `key` (even `__proto__`, which plain assignment would not). */
function withKey(o: object, key: string, value: unknown): Record<string, unknown> {
  const out = { ...o } as Record<string, unknown>;
  Object.defineProperty(out, key, { value, enumerable: true, configurable: true, writable: true });
  return out;
}

function stringOf(schema: JsonSchema, real: RealNames, field: string): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = schema.maxLength ?? 200;
  const fits = (s: string) => s.length >= min && s.length <= max && (!schema.pattern || new RegExp(schema.pattern).test(s));
  const known = (real[field] ?? real['*'] ?? []).filter((s) => fits(s) && (schema.format !== 'uuid' || uuidRe.test(s)));
  let made: fc.Arbitrary<string>;
  if (schema.format === 'uuid') made = fc.uuid();
  else if (schema.format === 'date-time')
    made = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
  else if (schema.pattern) made = fc.stringMatching(new RegExp(schema.pattern), { maxLength: max }).filter(fits);
  else made = fc.string({ unit: 'grapheme', minLength: min, maxLength: Math.min(max, 40) }).filter(fits);
  return known.length ? fc.oneof({ arbitrary: made, weight: 2 }, { arbitrary: fc.constantFrom(...known), weight: 1 }) : made;
}

function objectOf(schema: JsonSchema, real: RealNames): fc.Arbitrary<unknown> {
  const props = Object.entries(schema.properties ?? {});
  if (!props.length) return fc.constant({});
  const required = schema.required ?? [];
  const valid = fc.record(Object.fromEntries(props.map(([k, s]) => [k, valueOf(s, real, k)])), { requiredKeys: [...required] });
  const mutated = fc.oneof(
    // An unknown property (sometimes a name the parser treats specially).
    fc.tuple(valid, fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString')), fc.jsonValue({ maxDepth: 2 })).map(
      ([o, k, v]) => withKey(o as object, k, v),
    ),
    // A required property left out.
    ...(required.length
      ? [fc.tuple(valid, fc.constantFrom(...required)).map(([o, k]) => Object.fromEntries(Object.entries(o as object).filter(([key]) => key !== k)))]
      : []),
    // A property of the right name with a wrong value.
    fc.tuple(valid, fc.constantFrom(...props.map(([k]) => k)), brokenOf({})).map(([o, k, v]) => withKey(o as object, k, v)),
  );
  return fc.oneof({ arbitrary: valid, weight: 4 }, { arbitrary: mutated, weight: 1 });
}

/** A value `schema` (of property `field`) accepts, made of values that may each be broken. */
function validOf(schema: JsonSchema, real: RealNames, field: string): fc.Arbitrary<unknown> {
  if ('const' in schema) return fc.constant(schema.const);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => validOf(s, real, field)));
  switch (schema.type) {
    case 'string':
      return stringOf(schema, real, field);
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -(2 ** 31), max: schema.maximum ?? 2 ** 31 });
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true, ...(schema.minimum !== undefined && { min: schema.minimum }), ...(schema.maximum !== undefined && { max: schema.maximum }) });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(valueOf(schema.items ?? {}, real, field), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 4, 4) });
    case 'object':
      return objectOf(schema, real);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/**
 * Values for `schema` (the value of property `field`, if it is one): mostly ones it accepts
 * (strings sometimes taken from `real`), and sometimes, at any depth, one it refuses.
 */
export function valueOf(schema: JsonSchema, real: RealNames, field = '*'): fc.Arbitrary<unknown> {
  return fc.oneof({ arbitrary: validOf(schema, real, field), weight: 19 }, { arbitrary: brokenOf(schema), weight: 1 });
}
