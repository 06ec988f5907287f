/** Resource references: an API path segment names a resource by its id (a UUID) or its name. */

const uuidRe = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reports whether `ref` is a UUID, i.e. refers to a resource by id rather than by name. */
export function isUuid(ref: string): boolean {
  return uuidRe.test(ref);
}
