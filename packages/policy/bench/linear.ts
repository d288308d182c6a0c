// The naive baseline: the same semantics as @sbx/policy, written as a linear scan over every
// rule with ipaddr.js doing the address work. The bench measures against it and the
// differential test (test/differential.test.ts) checks that both decide alike.
import ipaddr from 'ipaddr.js';
import type { CheckRequest, Decision, PolicyConfig } from '../src/index.ts';
import {
  DEFAULT_BLOCKED_CIDRS,
  safeCanonicalHost,
  validateCidr,
  validateHostPattern,
} from '../src/index.ts';

type Addr = ipaddr.IPv4 | ipaddr.IPv6;
interface HostRule {
  action: 'allow' | 'block' | 'bypass';
  text: string;
  host: string; // '*' for catch-alls, the suffix for wildcards
  wildcard: boolean;
  port: number;
}
interface CidrRule {
  action: 'allow' | 'block' | 'bypass';
  text: string;
  range: [Addr, number];
}

function must(r: { ok: true; value: string } | { ok: false; reason: string }): string {
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

function hostRule(action: HostRule['action'], pattern: string): HostRule {
  const text = must(validateHostPattern(pattern));
  let host = text;
  let port = 0;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    host = text.slice(1, close);
    if (text.length > close + 1) port = Number(text.slice(close + 2));
  } else if (text.includes(':')) {
    host = text.slice(0, text.lastIndexOf(':'));
    port = Number(text.slice(text.lastIndexOf(':') + 1));
  }
  const wildcard = host.startsWith('*.');
  return { action, text, host: wildcard ? host.slice(2) : host, wildcard, port };
}

/** Score of a rule for a host, higher is more specific; -1 when it does not match. */
function score(r: HostRule, host: string, isIp: boolean, port: number): number {
  if (r.port !== 0 && r.port !== port) return -1;
  const withPort = r.port !== 0 ? 1 : 0;
  if (r.host === '*') return withPort;
  if (!r.wildcard) return r.host === host ? 1_000_000 + withPort : -1;
  if (isIp || !host.endsWith(`.${r.host}`)) return -1;
  return 1000 + r.host.split('.').length * 2 + withPort;
}

function toAddr(text: string): Addr | null {
  // Only address-shaped text reaches ipaddr.js: its parser throws on names, and exceptions
  // would make the baseline look slower than a linear scan needs to be.
  if (!text.includes(':') && !/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(text)) return null;
  if (!ipaddr.isValid(text)) return null;
  if (!text.includes(':') && !ipaddr.IPv4.isValidFourPartDecimal(text)) return null;
  const a = ipaddr.parse(text);
  return a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress()
    ? (a as ipaddr.IPv6).toIPv4Address()
    : a;
}

function embedded(a: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = a.parts;
  const v4 = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 255, lo >> 8, lo & 255]);
  if (p.slice(0, 6).every((x) => x === 0) && !(p[6] === 0 && p[7]! <= 1)) return v4(p[6]!, p[7]!);
  if (p[0] === 0x2002) return v4(p[1]!, p[2]!);
  if (p[0] === 0x64 && p[1] === 0xff9b && p.slice(2, 6).every((x) => x === 0))
    return v4(p[6]!, p[7]!);
  return null;
}

function text(a: Addr): string {
  return a.kind() === 'ipv4' ? a.toString() : (a as ipaddr.IPv6).toRFC5952String();
}

/** A policy that scans every rule on every check. */
export function linearPolicy(config: PolicyConfig): { check(r: CheckRequest): Decision } {
  const mode = config.policy ?? 'allow';
  const hosts = [
    ...(config.blockHosts ?? []).map((p) => hostRule('block', p)),
    ...(config.allowHosts ?? []).map((p) => hostRule('allow', p)),
  ];
  const bypassHosts = (config.bypassHosts ?? []).map((p) => hostRule('bypass', p));
  const cidr = (action: CidrRule['action'], c: string): CidrRule => {
    const t = must(validateCidr(c));
    const [a, len] = ipaddr.parseCIDR(t);
    return { action, text: t, range: [a, len] };
  };
  const cidrs = [
    ...(config.allowCidrs ?? []).map((c) => cidr('allow', c)),
    ...(config.blockCidrs ?? []).map((c) => cidr('block', c)),
    ...DEFAULT_BLOCKED_CIDRS.map((c) => cidr('block', c)),
    ...(config.bypassCidrs ?? []).map((c) => cidr('bypass', c)),
  ];

  function judge(a: Addr): { drop: string | null; carve: string | null; bypass: boolean } {
    let block: CidrRule | null = null;
    let allow: CidrRule | null = null;
    let bypass = false;
    for (const r of cidrs) {
      if (r.range[0].kind() !== a.kind() || !a.match(r.range)) continue;
      if (r.action === 'bypass') bypass = true;
      else if (r.action === 'block' && (!block || r.range[1] > block.range[1])) block = r;
      else if (r.action === 'allow' && (!allow || r.range[1] > allow.range[1])) allow = r;
    }
    if (!block) return { drop: null, carve: null, bypass };
    if (allow && allow.range[1] >= block.range[1]) return { drop: null, carve: allow.text, bypass };
    return { drop: block.text, carve: null, bypass };
  }

  function cidrCheck(a: Addr): { drop: string | null; carve: string | null; bypass: boolean } {
    const v4 = a.kind() === 'ipv6' ? embedded(a as ipaddr.IPv6) : (a as ipaddr.IPv4);
    const r4 = v4 ? judge(v4) : null;
    const r6 = a.kind() === 'ipv6' ? judge(a) : null;
    return {
      drop: r4?.drop ?? r6?.drop ?? null,
      carve: r4?.carve ?? r6?.carve ?? null,
      bypass: Boolean(r4?.bypass || r6?.bypass),
    };
  }

  return {
    check(req: CheckRequest): Decision {
      const invalid: Decision = {
        action: 'deny',
        tunnel: 'mitm',
        rule: null,
        reason: 'invalid-target',
      };
      if (!Number.isInteger(req.port) || req.port < 1 || req.port > 65535) return invalid;
      const c = safeCanonicalHost(req.host);
      if (!c.ok) return invalid;
      const host = c.value;
      const literal = toAddr(host);
      const isIp = literal !== null;
      let best: HostRule | null = null;
      let bestScore = -1;
      for (const r of hosts) {
        const s = score(r, host, isIp, req.port);
        if (s > bestScore || (s === bestScore && s >= 0 && r.action === 'block')) {
          best = r;
          bestScore = s;
        }
      }
      const bypassHost = bypassHosts.some((r) => score(r, host, isIp, req.port) >= 0);
      const addrs = isIp
        ? [literal]
        : host === 'localhost'
          ? [toAddr('127.0.0.1')!, toAddr('::1')!]
          : (req.addresses ?? []).map(toAddr).filter((a): a is Addr => a !== null);
      const allow = (
        rule: string | null,
        reason: Decision['reason'],
        a?: Addr,
        bypass = false,
      ): Decision => {
        const tunnel = bypassHost || bypass ? 'bypass' : 'mitm';
        return a
          ? { action: 'allow', tunnel, rule, reason, address: text(a) }
          : { action: 'allow', tunnel, rule, reason };
      };
      if (best?.action === 'block')
        return { action: 'deny', tunnel: 'mitm', rule: best.text, reason: 'host-rule' };
      if (!best && mode === 'deny')
        return { action: 'deny', tunnel: 'mitm', rule: null, reason: 'default' };
      const rule = best ? best.text : null;
      const reason = best ? 'host-rule' : 'default';
      if (best && best.host !== '*') {
        const first = addrs[0];
        return allow(rule, reason, first, first ? cidrCheck(first).bypass : false);
      }
      if (addrs.length === 0)
        return { action: 'deny', tunnel: 'mitm', rule: null, reason: 'unresolved' };
      let firstDrop: string | null = null;
      for (const a of addrs) {
        const v = cidrCheck(a);
        if (v.drop) {
          firstDrop ??= v.drop;
          continue;
        }
        return v.carve
          ? allow(v.carve, 'cidr-rule', a, v.bypass)
          : allow(rule, reason, a, v.bypass);
      }
      return { action: 'deny', tunnel: 'mitm', rule: firstDrop, reason: 'cidr-rule' };
    },
  };
}
