import { type Cidr, parseCidr } from './cidr.ts';
import { DEFAULT_BLOCKED_CIDRS } from './defaults.ts';
import { PolicyError } from './errors.ts';
import { type HostPattern, parseHostPattern } from './pattern.ts';
import { CompiledPolicy } from './policy.ts';
import type { Policy, PolicyConfig, PolicyMode, SafeCompileResult } from './types.ts';

const HOST_LISTS = ['allowHosts', 'blockHosts', 'bypassHosts'] as const;
const CIDR_LISTS = ['allowCidrs', 'blockCidrs', 'bypassCidrs'] as const;
const KEYS = new Set<string>(['policy', ...HOST_LISTS, ...CIDR_LISTS]);

export type HostList = (typeof HOST_LISTS)[number];
export type CidrList = (typeof CIDR_LISTS)[number];
/** A parsed entry and where it came from: `index` in `list` (-1 with `list` 'default'). */
export interface ParsedEntry<T> {
  readonly value: T;
  readonly list: HostList | CidrList | 'default';
  readonly index: number;
}

function suggestKey(key: string): string {
  const lower = key.toLowerCase().replace(/s?$/, 's');
  const near = [...KEYS].find((k) => k.toLowerCase() === lower);
  return near ? `; did you mean ${near}?` : `; use one of ${[...KEYS].join(', ')}`;
}

function list<T>(
  config: Record<string, unknown>,
  name: HostList | CidrList,
  parse: (s: unknown) => T | string,
  issues: string[],
): ParsedEntry<T>[] {
  const raw = config[name];
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    issues.push(`${name}: expected a list of strings`);
    return [];
  }
  const out: ParsedEntry<T>[] = [];
  raw.forEach((entry, i) => {
    const parsed = parse(entry);
    if (typeof parsed === 'string') issues.push(`${name}[${i}]: ${parsed}`);
    else out.push({ value: parsed, list: name, index: i });
  });
  return out;
}

/** Validates and compiles a policy; returns every problem instead of throwing. */
export function safeCompilePolicy(config?: PolicyConfig): SafeCompileResult {
  const issues: string[] = [];
  const c: Record<string, unknown> =
    config === undefined ? {} : (config as Record<string, unknown>);
  if (c === null || typeof c !== 'object' || Array.isArray(c)) {
    return { ok: false, issues: ['the policy must be an object'] };
  }
  for (const key of Object.keys(c)) {
    if (!KEYS.has(key)) issues.push(`${key}: unknown setting${suggestKey(key)}`);
  }
  let mode: PolicyMode = 'allow';
  if (c.policy !== undefined) {
    if (c.policy === 'allow' || c.policy === 'deny') mode = c.policy;
    else issues.push(`policy: unknown mode ${JSON.stringify(c.policy)}: use "allow" or "deny"`);
  }
  const hosts = {} as Record<HostList, ParsedEntry<HostPattern>[]>;
  for (const name of HOST_LISTS) hosts[name] = list(c, name, parseHostPattern, issues);
  const cidrs = {} as Record<CidrList, ParsedEntry<Cidr>[]>;
  for (const name of CIDR_LISTS) cidrs[name] = list(c, name, parseCidr, issues);
  if (issues.length > 0) return { ok: false, issues };
  for (const text of DEFAULT_BLOCKED_CIDRS) {
    cidrs.blockCidrs.push({ value: parseCidr(text) as Cidr, list: 'default', index: -1 });
  }
  return { ok: true, value: new CompiledPolicy(mode, hosts, cidrs) };
}

/** Compiles a policy for `check`; throws a PolicyError (code `SBX_POLICY_INVALID`) listing every bad entry. */
export function compilePolicy(config?: PolicyConfig): Policy {
  const r = safeCompilePolicy(config);
  if (r.ok) return r.value;
  const n = r.issues.length;
  const message = `invalid network policy, fix ${n === 1 ? 'this entry' : `these ${n} entries`}: ${r.issues.join('; ')}`;
  throw new PolicyError('SBX_POLICY_INVALID', message, r.issues);
}
