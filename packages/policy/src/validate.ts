import { parseCidr } from './cidr.ts';
import { PolicyError } from './errors.ts';
import { parseHost } from './host.ts';
import { parseHostPattern } from './pattern.ts';
import type { Validation } from './types.ts';

/** Checks one host pattern (`*.example.com:443`); the value is its canonical form. */
export function validateHostPattern(pattern: unknown): Validation<string> {
  const p = parseHostPattern(pattern);
  return typeof p === 'string' ? { ok: false, reason: p } : { ok: true, value: p.text };
}

/** Checks one CIDR (`10.0.0.0/8`); the value is its canonical form. */
export function validateCidr(cidr: unknown): Validation<string> {
  const c = parseCidr(cidr);
  return typeof c === 'string' ? { ok: false, reason: c } : { ok: true, value: c.text };
}

/** The canonical form of a host as used for matching (`0x7f.1` -> `127.0.0.1`), or why it is invalid. */
export function safeCanonicalHost(host: unknown): Validation<string> {
  const h = parseHost(host);
  if (typeof h !== 'string') return { ok: true, value: h.name };
  const shown = typeof host === 'string' ? JSON.stringify(host.slice(0, 100)) : typeof host;
  return { ok: false, reason: `invalid host ${shown}: ${h}` };
}

/** Like `safeCanonicalHost`, but throws a PolicyError (code `SBX_POLICY_INVALID_HOST`). */
export function canonicalHost(host: unknown): string {
  const r = safeCanonicalHost(host);
  if (r.ok) return r.value;
  throw new PolicyError('SBX_POLICY_INVALID_HOST', r.reason, [r.reason]);
}
