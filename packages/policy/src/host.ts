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

/** 0: not allowed in a name, 1: canonical (a-z 0-9 - _ .), 2: upper case ASCII, 3: non-ASCII. */
function charClass(c: number): number {
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e) return 1;
  if (c === 0x5f) return 1;
  if (c >= 0x41 && c <= 0x5a) return 2;
  if (c >= 0x80) return 3;
  return 0;
}

function describe(c: number): string {
  if (c < 0x20 || c === 0x7f) return 'a control character';
  if (c === 0x20) return 'a space';
  return `"${String.fromCharCode(c)}"`;
}

/** Checks a lowercase ASCII name; returns an error reason or null. */
function checkName(name: string): string | null {
  if (name.length === 0) return 'the name is empty';
  if (name.length > 253) return `the name is ${name.length} characters long (at most 253)`;
  let start = 0;
  for (;;) {
    let dot = name.indexOf('.', start);
    if (dot < 0) dot = name.length;
    const len = dot - start;
    if (len === 0) return 'the name has an empty label';
    if (len > 63) return `a label is ${len} characters long (at most 63)`;
    if (dot === name.length) return null;
    start = dot + 1;
  }
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

function parseName(input: string, alias: boolean): ParsedHost | string {
  let s = input;
  let fast = 1;
  for (let i = 0; i < s.length; i++) {
    const k = charClass(s.charCodeAt(i));
    if (k === 0) return `it contains ${describe(s.charCodeAt(i))}`;
    if (k > fast) fast = k;
  }
  if (fast === 2) s = s.toLowerCase();
  if (fast === 3 || s.includes('xn--')) {
    // UTS #46 non-transitional processing, exactly as WHATWG URL (and so browsers) do it.
    s = domainToASCII(s);
    if (s === '') return 'it is not a valid internationalised domain name';
    for (let i = 0; i < s.length; i++) {
      if (charClass(s.charCodeAt(i)) !== 1) return `it contains ${describe(s.charCodeAt(i))}`;
    }
  }
  if (s.length > 1 && s.charCodeAt(s.length - 1) === 0x2e) s = s.slice(0, -1);
  if (endsInNumber(s)) {
    const n = parseIPv4Whatwg(s);
    if (n < 0) return 'it ends in a number but is not a valid IPv4 address';
    const ip = ipv4Address(n);
    return { kind: 'ip', name: ip.text, ip };
  }
  const bad = checkName(s);
  if (bad !== null) return bad;
  if (alias && s === 'host.docker.internal') s = 'localhost';
  return { kind: 'name', name: s };
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
