import { PolicyError } from './errors.ts';
import { fastName, parseHost } from './host.ts';
import { HostTable } from './host-table.ts';
import { parseHostPattern } from './pattern.ts';
import type { HostMatcher } from './types.ts';

/**
 * Compiles host patterns for rule lists outside the policy (credential rules, say), with the
 * policy's canonicalisation and specificity. Throws a PolicyError listing every bad pattern.
 */
export function compileHostPatterns(
  patterns: readonly string[],
  listName = 'patterns',
): HostMatcher {
  const table = new HostTable<string>();
  const issues: string[] = [];
  patterns.forEach((pattern, i) => {
    const p = parseHostPattern(pattern);
    if (typeof p === 'string') issues.push(`${listName}[${i}]: ${p}`);
    else table.add(p, p.text, (old) => old);
  });
  if (issues.length > 0) {
    throw new PolicyError(
      'SBX_POLICY_INVALID',
      `invalid ${listName}, fix: ${issues.join('; ')}`,
      issues,
    );
  }
  return {
    match(host: string, port: number): string | null {
      if (!Number.isInteger(port) || port < 1 || port > 65535) return null;
      const fast = fastName(host);
      if (fast !== null) return table.lookup(fast, false, port) ?? null;
      const h = parseHost(host);
      if (typeof h === 'string') return null;
      return table.lookup(h.name, h.kind === 'ip', port) ?? null;
    },
  };
}
