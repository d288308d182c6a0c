// IPv4 text forms. Hosts follow the WHATWG URL host parser (decimal, hex, octal and short
// forms, so `0x7f.1` is 127.0.0.1); resolved addresses and CIDRs accept dotted decimal only.

const ZERO = 48;
const NINE = 57;

/** Parses one WHATWG IPv4 number; -1 when it is not one. */
function parseNumber(s: string, start: number, end: number): number {
  if (start === end) return -1;
  let radix = 10;
  if (end - start >= 2 && s.charCodeAt(start) === ZERO) {
    const x = s.charCodeAt(start + 1) | 0x20;
    if (x === 0x78) {
      radix = 16;
      start += 2;
    } else {
      radix = 8;
      start += 1;
    }
  }
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    let d: number;
    if (c >= ZERO && c <= NINE) d = c - ZERO;
    else if (radix === 16 && (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) d = (c | 0x20) - 0x61 + 10;
    else return -1;
    if (d >= radix) return -1;
    n = n * radix + d;
    if (n > 0xffffffff) n = 0x100000000; // saturate: too big for any part anyway
  }
  return n;
}

/** True when the host's last label is a number, so it must parse as IPv4 (WHATWG "ends in a number"). */
export function endsInNumber(s: string): boolean {
  let end = s.length;
  if (end > 0 && s.charCodeAt(end - 1) === 0x2e) end--;
  const start = s.lastIndexOf('.', end - 1) + 1;
  if (start >= end) return false;
  let digits = true;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < ZERO || c > NINE) {
      digits = false;
      break;
    }
  }
  return digits || parseNumber(s, start, end) >= 0;
}

/** WHATWG IPv4 parser: the address as an unsigned 32-bit number, or -1. */
export function parseIPv4Whatwg(s: string): number {
  let end = s.length;
  if (end > 1 && s.charCodeAt(end - 1) === 0x2e) end--;
  let value = 0;
  let count = 0;
  let start = 0;
  for (;;) {
    let dot = s.indexOf('.', start);
    if (dot < 0 || dot > end) dot = end;
    const n = parseNumber(s, start, dot);
    if (n < 0 || ++count > 4) return -1;
    if (dot === end) {
      // The last part fills the bytes the earlier parts left: `127.1` is 127.0.0.1.
      const room = 256 ** (5 - count);
      return n >= room ? -1 : value * room + n;
    }
    if (n > 255) return -1;
    value = value * 256 + n;
    start = dot + 1;
  }
}

/** Strict dotted decimal (`a.b.c.d`, no leading zeros): the address as an unsigned number, or -1. */
export function parseIPv4Strict(s: string): number {
  const len = s.length;
  if (len < 7 || len > 15) return -1;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || ++dots > 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= ZERO && c <= NINE) {
      if (digits > 0 && part === 0) return -1;
      part = part * 10 + (c - ZERO);
      if (part > 255) return -1;
      digits++;
    } else return -1;
  }
  if (digits === 0 || dots !== 3) return -1;
  return value * 256 + part;
}

export function formatIPv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}
