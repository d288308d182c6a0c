import { formatIPv4, parseIPv4Strict, parseIPv4Whatwg } from './ipv4.ts';
import { formatIPv6, isMapped, parseIPv6 } from './ipv6.ts';

/** A canonical CIDR. IPv4-mapped IPv6 CIDRs (`::ffff:10.0.0.0/104`) become IPv4 CIDRs. */
export type Cidr =
  | { readonly family: 4; readonly addr: number; readonly len: number; readonly text: string }
  | {
      readonly family: 6;
      readonly pieces: Uint16Array;
      readonly len: number;
      readonly text: string;
    };

function quote(s: string): string {
  return JSON.stringify(s.length > 100 ? `${s.slice(0, 100)}…` : s);
}

function mask4(addr: number, len: number): number {
  return len === 0 ? 0 : (addr & (-1 << (32 - len))) >>> 0;
}

function mask6(pieces: Uint16Array, len: number): Uint16Array {
  const out = new Uint16Array(8);
  for (let i = 0; i < 8; i++) {
    const keep = Math.min(16, Math.max(0, len - i * 16));
    out[i] = keep === 0 ? 0 : pieces[i]! & ((0xffff << (16 - keep)) & 0xffff);
  }
  return out;
}

function v4(addr: number, len: number): Cidr {
  return { family: 4, addr, len, text: `${formatIPv4(addr)}/${len}` };
}

/** Parses a CIDR (`10.0.0.0/8`, `fc00::/7`; a bare address is a /32 or /128) or says why not. */
export function parseCidr(input: unknown): Cidr | string {
  if (typeof input !== 'string') return `a CIDR must be a string, not ${typeof input}`;
  const bad = (why: string) => `invalid CIDR ${quote(input)}: ${why}`;
  const slash = input.indexOf('/');
  const addrText = slash < 0 ? input : input.slice(0, slash);
  const lenText = slash < 0 ? null : input.slice(slash + 1);
  if (addrText === '') return bad('the address is missing: write it as 10.0.0.0/8 or fc00::/7');
  const isV6 = addrText.includes(':');
  const max = isV6 ? 128 : 32;
  let len = max;
  if (lenText !== null) {
    if (!/^[0-9]{1,3}$/.test(lenText))
      return bad(`the prefix length must be a number from 0 to ${max}`);
    len = Number(lenText);
    if (len > max) return bad(`the prefix length ${len} is over ${max}`);
  }
  if (!isV6) {
    const addr = parseIPv4Strict(addrText);
    if (addr < 0) {
      const loose = parseIPv4Whatwg(addrText);
      const quad = addrText.split('.').length === 4;
      const hint = loose >= 0 && quad ? `; did you mean ${formatIPv4(loose)}/${len}?` : '';
      return bad(`the address must be written as four decimal numbers (a.b.c.d)${hint}`);
    }
    const masked = mask4(addr, len);
    if (masked !== addr) {
      return bad(
        `host bits are set beyond the /${len} prefix; did you mean ${formatIPv4(masked)}/${len}?`,
      );
    }
    return v4(addr, len);
  }
  if (addrText.includes('%')) return bad('a CIDR has no zone id: remove the "%…" part');
  const pieces = new Uint16Array(8);
  if (!parseIPv6(addrText, 0, addrText.length, pieces)) return bad('not a valid IPv6 address');
  const masked = mask6(pieces, len);
  if (masked.some((p, i) => p !== pieces[i])) {
    return bad(
      `host bits are set beyond the /${len} prefix; did you mean ${formatIPv6(masked)}/${len}?`,
    );
  }
  if (len >= 96 && isMapped(pieces)) return v4(pieces[6]! * 0x10000 + pieces[7]!, len - 96);
  return { family: 6, pieces, len, text: `${formatIPv6(pieces)}/${len}` };
}
