// IPv6 text forms, parsed by the WHATWG URL IPv6 parser (RFC 4291 text, dotted decimal in
// the last 32 bits) and printed per RFC 5952. Addresses are 8 16-bit pieces.

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** Parses `s[start, end)` into `out`; false when it is not an IPv6 address. */
export function parseIPv6(s: string, start: number, end: number, out: Uint16Array): boolean {
  out.fill(0);
  let piece = 0;
  let compress = -1;
  let p = start;
  if (p < end && s.charCodeAt(p) === 0x3a) {
    if (p + 1 >= end || s.charCodeAt(p + 1) !== 0x3a) return false;
    p += 2;
    piece = 1;
    compress = 1;
  }
  while (p < end) {
    if (piece === 8) return false;
    if (s.charCodeAt(p) === 0x3a) {
      if (compress !== -1) return false;
      p++;
      piece++;
      compress = piece;
      continue;
    }
    let value = 0;
    let length = 0;
    while (length < 4 && p < end) {
      const h = hexValue(s.charCodeAt(p));
      if (h < 0) break;
      value = value * 16 + h;
      p++;
      length++;
    }
    if (p < end && s.charCodeAt(p) === 0x2e) {
      if (length === 0 || piece > 6) return false;
      p -= length;
      let seen = 0;
      while (p < end) {
        if (seen > 0) {
          if (s.charCodeAt(p) !== 0x2e || seen >= 4) return false;
          p++;
        }
        let v = -1;
        while (p < end) {
          const c = s.charCodeAt(p);
          if (c < 48 || c > 57) break;
          if (v === 0) return false;
          v = v === -1 ? c - 48 : v * 10 + (c - 48);
          if (v > 255) return false;
          p++;
        }
        if (v === -1) return false;
        out[piece] = out[piece]! * 0x100 + v;
        seen++;
        if (seen === 2 || seen === 4) piece++;
      }
      if (seen !== 4) return false;
      break;
    }
    if (p < end && s.charCodeAt(p) === 0x3a) {
      p++;
      if (p >= end) return false;
    } else if (p < end) return false;
    out[piece] = value;
    piece++;
  }
  if (compress !== -1) {
    let swaps = piece - compress;
    piece = 7;
    while (piece !== 0 && swaps > 0) {
      const i = compress + swaps - 1;
      const t = out[piece]!;
      out[piece] = out[i]!;
      out[i] = t;
      piece--;
      swaps--;
    }
  } else if (piece !== 8) return false;
  return true;
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run (>= 2) of zero pieces as `::`. */
export function formatIPv6(a: Uint16Array): string {
  const run = zeroRun(a);
  const runStart = run < 0 ? -1 : run >> 4;
  const runLen = run & 15;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === runStart) {
      out += '::';
      i += runLen - 1;
      continue;
    }
    if (i > 0 && i !== runStart + runLen) out += ':';
    out += a[i]!.toString(16);
  }
  return out;
}

/** True for ::ffff:0:0/96, the IPv4 addresses themselves written as IPv6. */
export function isMapped(a: Uint16Array): boolean {
  return a[0] === 0 && a[1] === 0 && a[2] === 0 && a[3] === 0 && a[4] === 0 && a[5] === 0xffff;
}

/**
 * The IPv4 address an IPv6 address embeds, or -1: IPv4-mapped (::ffff:0:0/96), IPv4-compatible
 * (::/96 except :: and ::1), 6to4 (2002::/16) and NAT64 (64:ff9b::/96).
 */
export function embeddedIPv4(a: Uint16Array): number {
  const low = a[6]! * 0x10000 + a[7]!;
  if (a[0] === 0 && a[1] === 0 && a[2] === 0 && a[3] === 0 && a[4] === 0) {
    if (a[5] === 0xffff) return low;
    if (a[5] === 0 && a[6] === 0 && (a[7] === 0 || a[7] === 1)) return -1;
    if (a[5] === 0) return low;
    return -1;
  }
  if (a[0] === 0x2002) return a[1]! * 0x10000 + a[2]!;
  if (a[0] === 0x64 && a[1] === 0xff9b && a[2] === 0 && a[3] === 0 && a[4] === 0 && a[5] === 0) {
    return low;
  }
  return -1;
}

/** The longest run (>= 2) of zero pieces, as start * 16 + length; -1 when there is none. */
function zeroRun(a: Uint16Array): number {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (a[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && a[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  return best < 0 ? -1 : best * 16 + bestLen;
}

/** True when `s` is exactly the RFC 5952 text of `a`, checked without building that text. */
export function isCanonicalIPv6(s: string, a: Uint16Array): boolean {
  const run = zeroRun(a);
  const runStart = run < 0 ? -1 : run >> 4;
  const runLen = run & 15;
  let p = 0;
  for (let i = 0; i < 8; i++) {
    if (i === runStart) {
      if (s.charCodeAt(p++) !== 0x3a || s.charCodeAt(p++) !== 0x3a) return false;
      i += runLen - 1;
      continue;
    }
    if (i > 0 && i !== runStart + runLen && s.charCodeAt(p++) !== 0x3a) return false;
    const v = a[i]!;
    for (
      let shift = v >= 0x1000 ? 12 : v >= 0x100 ? 8 : v >= 0x10 ? 4 : 0;
      shift >= 0;
      shift -= 4
    ) {
      const d = (v >> shift) & 15;
      if (s.charCodeAt(p++) !== (d < 10 ? 48 + d : 87 + d)) return false;
    }
  }
  return p === s.length;
}
