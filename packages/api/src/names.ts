/** Resource names: DNS labels (RFC 1123), so that a VM name can be its guest hostname. */

/** The pattern every resource name must match. */
export const namePattern = '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$';

/** Explains why `name` is not a valid resource name, or returns undefined when it is. */
export function nameProblem(name: string): string | undefined {
  if (name.length === 0) return 'a name cannot be empty';
  if (name.length > 63) return `'${name.slice(0, 20)}...' is ${name.length} characters long; at most 63 are allowed`;
  if (!new RegExp(namePattern).test(name))
    return `'${name}' is not a valid name: use lower-case letters, digits and '-', starting and ending with a letter or digit (a DNS label)`;
  return undefined;
}
