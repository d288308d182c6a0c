import type { Cidr } from './cidr.ts';
import type { HostPattern } from './pattern.ts';
import type { CidrRule, HostRule, PolicyMode, PolicyRule } from './types.ts';

function dots(s: string): number {
  let n = 0;
  for (let i = s.indexOf('.'); i >= 0; i = s.indexOf('.', i + 1)) n++;
  return n;
}

/** Specificity rank of a host pattern: lower is more specific. */
function rank(p: HostPattern): number {
  if (p.kind === 'exact') return p.port !== 0 ? 0 : 1;
  if (p.kind === 'wildcard') return 2;
  return p.port !== 0 ? 3 : 4;
}

/**
 * Orders host patterns as matching ranks them: exact host+port, exact host, wildcards (longest
 * suffix first, with port before without), `*:PORT`, `*`. Ties are broken by text for stable output.
 */
export function compareHostPatterns(a: HostPattern, b: HostPattern): number {
  const r = rank(a) - rank(b);
  if (r !== 0) return r;
  if (a.kind === 'wildcard') {
    const labels = dots(b.host) - dots(a.host);
    if (labels !== 0) return labels;
    const ports = (a.port === 0 ? 1 : 0) - (b.port === 0 ? 1 : 0);
    if (ports !== 0) return ports;
  }
  return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
}

/** Orders CIDRs: IPv4 before IPv6, longer prefixes first, then by address. */
export function compareCidrs(a: Cidr, b: Cidr): number {
  if (a.family !== b.family) return a.family - b.family;
  if (a.len !== b.len) return b.len - a.len;
  if (a.family === 4 && b.family === 4) return a.addr - b.addr;
  if (a.family === 6 && b.family === 6) {
    for (let i = 0; i < 8; i++) {
      const d = a.pieces[i]! - b.pieces[i]!;
      if (d !== 0) return d;
    }
  }
  return 0;
}

const byHost = (a: [HostPattern, HostRule], b: [HostPattern, HostRule]) =>
  compareHostPatterns(a[0], b[0]) || (a[1].action === 'block' ? -1 : 1);
const byCidr = (a: [Cidr, CidrRule], b: [Cidr, CidrRule]) =>
  compareCidrs(a[0], b[0]) || (a[1].action === 'allow' ? -1 : 1);

/**
 * The rules in evaluation order, frozen: allow/block host rules by specificity, the default
 * mode, allow/block CIDRs, then bypass host rules and bypass CIDRs.
 */
export function orderRules(
  mode: PolicyMode,
  hosts: [HostPattern, HostRule][],
  bypassHosts: [HostPattern, HostRule][],
  cidrs: [Cidr, CidrRule][],
): readonly PolicyRule[] {
  const sortedCidrs = [...cidrs].sort(byCidr).map(([, r]) => r);
  const ordered: PolicyRule[] = [
    ...[...hosts].sort(byHost).map(([, r]) => r),
    {
      kind: 'default',
      action: mode === 'allow' ? 'allow' : 'block',
      pattern: null,
      source: 'policy',
    },
    ...sortedCidrs.filter((r) => r.action !== 'bypass'),
    ...[...bypassHosts].sort(byHost).map(([, r]) => r),
    ...sortedCidrs.filter((r) => r.action === 'bypass'),
  ];
  return Object.freeze(ordered.map((r) => Object.freeze(r)));
}
