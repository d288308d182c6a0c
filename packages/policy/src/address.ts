import { formatIPv4, parseIPv4Strict } from './ipv4.ts';
import { embeddedIPv4, formatIPv6, isMapped, parseIPv6 } from './ipv6.ts';

/**
 * An IP address as the engine sees it. `v4` is the IPv4 address (an IPv4 or IPv4-mapped
 * address), or the IPv4 an IPv6 address embeds, or -1; `v6` is null for IPv4 addresses.
 */
export interface IpAddress {
  readonly text: string;
  readonly v4: number;
  readonly v6: Uint16Array | null;
}

export function ipv4Address(n: number): IpAddress {
  return { text: formatIPv4(n), v4: n, v6: null };
}

/** An IPv6 address from its pieces; IPv4-mapped addresses become the IPv4 address they are. */
export function ipv6Address(pieces: Uint16Array): IpAddress {
  if (isMapped(pieces)) return ipv4Address(pieces[6]! * 0x10000 + pieces[7]!);
  const v6 = pieces.slice();
  return { text: formatIPv6(v6), v4: embeddedIPv4(v6), v6 };
}

const scratch = new Uint16Array(8);

/** A resolved address (`93.184.215.14`, `2606:2800::1`, no zone): strict forms only; null when invalid. */
export function parseAddress(s: unknown): IpAddress | null {
  if (typeof s !== 'string') return null;
  const v4 = parseIPv4Strict(s);
  if (v4 >= 0) return { text: s, v4, v6: null };
  if (s.length < 2 || s.length > 45 || !s.includes(':')) return null;
  return parseIPv6(s, 0, s.length, scratch) ? ipv6Address(scratch) : null;
}
