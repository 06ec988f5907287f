/** Which events a webhook wants: exact types or patterns with `*` (`alert.*`); none means all. */

/** Reports whether an event of `type` matches any of `patterns` (all match when there are none). */
export function wantsEvent(patterns: readonly string[], type: string): boolean {
  if (patterns.length === 0) return true;
  return patterns.some((p) => (p.includes('*') ? globToRegExp(p).test(type) : p === type));
}

function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}
