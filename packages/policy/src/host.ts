import { domainToASCII } from 'node:url';
import { type IpAddress, ipv4Address, ipv6Address } from './address.ts';
import { endsInNumber, parseIPv4Whatwg } from './ipv4.ts';
import { parseIPv6 } from './ipv6.ts';

/** A canonical host: a lowercase ASCII domain name, or an IP address. */
export type ParsedHost =
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'ip'; readonly name: string; readonly ip: IpAddress };

const MAX_INPUT = 1024;
const scratch = new Uint16Array(8);

// Character classes of a name, so that the common character costs one table load and one test.
const INVALID = 0;
const PLAIN = 1; // a-z 0-9 - _
const UPPER = 2;
const NON_ASCII = 3;
const DOT_CLASS = 4;
const X_LOWER = 5; // `x` and `X` may start an `xn--` label
const X_UPPER = 6;
const CLASS = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwyz0123456789-_') CLASS[c.charCodeAt(0)] = PLAIN;
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWYZ') CLASS[c.charCodeAt(0)] = UPPER;
CLASS[0x2e] = DOT_CLASS;
CLASS[0x78] = X_LOWER;
CLASS[0x58] = X_UPPER;

function describe(c: number): string {
  if (c < 0x20 || c === 0x7f) return 'a control character';
  if (c === 0x20) return 'a space';
  return `"${String.fromCharCode(c)}"`;
}

function parseBracketless6(s: string, start: number, end: number): ParsedHost | string {
  let stop = s.indexOf('%', start);
  if (stop < 0 || stop > end) stop = end;
  else {
    // A zone id (fe80::1%eth0, or %25eth0 as URLs write it) says which link; it is dropped.
    const zone = s.slice(stop + 1, end);
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(zone)) return 'invalid IPv6 zone id';
  }
  if (!parseIPv6(s, start, stop, scratch)) return 'not a valid IPv6 address';
  const ip = ipv6Address(scratch);
  return { kind: 'ip', name: ip.text, ip };
}

const DOT = 0x2e;

/**
 * One pass over the name checks characters and label lengths; only names with upper case,
 * non-ASCII or `xn--` labels take the slow path (lower case, UTS #46) and come back here once.
 */
function parseName(input: string, alias: boolean, mapped = false): ParsedHost | string {
  let end = input.length;
  if (end > 1 && input.charCodeAt(end - 1) === DOT) end--;
  let worst = 1;
  let labelStart = 0;
  let puny = false;
  for (let i = 0; i < end; i++) {
    const c = input.charCodeAt(i);
    const k = c < 128 ? CLASS[c]! : NON_ASCII;
    if (k === PLAIN) continue;
    if (k === DOT_CLASS) {
      if (i === labelStart) return 'the name has an empty label';
      if (i - labelStart > 63) return `a label is ${i - labelStart} characters long (at most 63)`;
      labelStart = i + 1;
    } else if (k === X_LOWER || k === X_UPPER) {
      if (k === X_UPPER) worst = Math.max(worst, UPPER);
      if (i === labelStart && isPunyPrefix(input, i, end)) puny = true;
    } else if (k === INVALID) return `it contains ${describe(c)}`;
    else if (k > worst) worst = k;
  }
  if (worst !== PLAIN || (puny && !mapped)) {
    if (mapped) return 'it is not a valid domain name';
    // UTS #46 non-transitional processing, exactly as WHATWG URL (and so browsers) do it.
    const ascii = worst === UPPER && !puny ? input.toLowerCase() : domainToASCII(input);
    if (ascii === '') return 'it is not a valid internationalised domain name';
    return parseName(ascii, alias, true);
  }
  if (end === labelStart) return 'the name has an empty label';
  if (end - labelStart > 63) return `a label is ${end - labelStart} characters long (at most 63)`;
  if (end > 253) return `the name is ${end} characters long (at most 253)`;
  const s = end === input.length ? input : input.slice(0, end);
  const first = s.charCodeAt(labelStart);
  // Only a last label that starts with a digit can make the name an IPv4 address.
  if (first >= 0x30 && first <= 0x39 && endsInNumber(s)) {
    const n = parseIPv4Whatwg(s);
    if (n < 0) return 'it ends in a number but is not a valid IPv4 address';
    const ip = ipv4Address(n);
    return { kind: 'ip', name: ip.text, ip };
  }
  if (alias && s === 'host.docker.internal') return { kind: 'name', name: 'localhost' };
  return { kind: 'name', name: s };
}

function isPunyPrefix(s: string, i: number, end: number): boolean {
  return (
    i + 3 < end &&
    (s.charCodeAt(i + 1) | 0x20) === 0x6e &&
    s.charCodeAt(i + 2) === 0x2d &&
    s.charCodeAt(i + 3) === 0x2d
  );
}

// a-z 0-9 - _: the characters a name may hold that need no mapping.
const FAST = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyz0123456789-_') FAST[c.charCodeAt(0)] = 1;

/**
 * The common case without allocating: `input` itself when it is already a canonical name
 * (lower-case ASCII, labels 1-63, at most 253, no trailing dot, no `xn--` label, a last label
 * that cannot be a number, not `host.docker.internal`); null means "ask `parseHost`".
 */
export function fastName(input: unknown): string | null {
  if (typeof input !== 'string') return null;
  const len = input.length;
  if (len === 0 || len > 253) return null;
  let labelStart = 0;
  for (let i = 0; i < len; i++) {
    const c = input.charCodeAt(i);
    if (c === DOT) {
      if (i === labelStart || i - labelStart > 63) return null;
      labelStart = i + 1;
    } else if (c >= 128 || FAST[c] === 0) return null;
    else if (c === 0x78 && i === labelStart && isPunyPrefix(input, i, len)) return null;
  }
  if (len - labelStart > 63) return null;
  const first = input.charCodeAt(labelStart); // NaN after a trailing dot: not a digit either
  if (!(first > 0x39 || first === 0x2d || first === 0x5f)) return null;
  if (len === 20 && input === 'host.docker.internal') return null;
  return input;
}

/**
 * Parses a host as a client writes it; returns the canonical host or an error reason.
 * `host.docker.internal` is `localhost` unless `alias` is false (wildcard suffixes).
 */
export function parseHost(input: unknown, alias = true): ParsedHost | string {
  if (typeof input !== 'string') return 'a host must be a string';
  const len = input.length;
  if (len === 0) return 'the host is empty';
  if (len > MAX_INPUT) return `the host is ${len} characters long`;
  if (input.charCodeAt(0) === 0x5b) {
    if (input.charCodeAt(len - 1) !== 0x5d) return 'a "[" must close with "]"';
    return parseBracketless6(input, 1, len - 1);
  }
  if (input.includes(':')) return parseBracketless6(input, 0, len);
  return parseName(input, alias);
}
