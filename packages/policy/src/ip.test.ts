import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { parseAddress } from './address.ts';
import { formatIPv6, isCanonicalIPv6, parseIPv6 } from './ipv6.ts';

const parse6 = (s: string) => {
  const out = new Uint16Array(8);
  return parseIPv6(s, 0, s.length, out) ? formatIPv6(out) : null;
};

describe('IPv6 text', () => {
  it.each<[string, string | null]>([
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first longest run
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero is not compressed
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ['::1.2.3.4', '::102:304'],
    ['::ffff:1.2.3.4', '::ffff:102:304'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ['ABCD:EF01::', 'abcd:ef01::'],
    [':::', null],
    ['1::2::3', null],
    [':1::', null],
    ['1:', null],
    ['1:2:3:4:5:6:7:8:9', null],
    ['1:2:3:4:5:6:7', null],
    ['12345::', null],
    ['::1.2.3', null],
    ['::1.2.3.4.5', null],
    ['::01.2.3.4', null],
    ['::256.2.3.4', null],
    ['1:2:3:4:5:6:7:1.2.3.4', null],
    ['g::', null],
    ['', null],
  ])('%j -> %j', (input, expected) => {
    expect(parse6(input)).toBe(expected);
    if (expected !== null) {
      const pieces = new Uint16Array(8);
      parseIPv6(input, 0, input.length, pieces);
      expect(isCanonicalIPv6(input, pieces)).toBe(input === expected);
      expect(isCanonicalIPv6(expected, pieces)).toBe(true);
    }
  });

  // ipaddr.js is the reference for plain hex forms (it reads `::a.b.c.d` as IPv4-mapped, which
  // RFC 4291 says is IPv4-compatible, so dotted forms are compared in the table above instead).
  it('agrees with ipaddr.js on 2,000 random addresses', () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 16;
    };
    for (let n = 0; n < 2000; n++) {
      const parts = Array.from({ length: 8 }, () => (rnd() % 3 === 0 ? 0 : rnd() % 65536));
      const text = parts
        .map((p) => (rnd() % 2 ? p.toString(16).toUpperCase() : p.toString(16).padStart(4, '0')))
        .join(':');
      const ours = parseAddress(text);
      const theirs = ipaddr.IPv6.parse(text);
      const expected = theirs.isIPv4MappedAddress()
        ? theirs.toIPv4Address().toString()
        : theirs.toRFC5952String();
      expect(ours?.text).toBe(expected);
      const pieces = new Uint16Array(8);
      parseIPv6(text, 0, text.length, pieces);
      const canonical = formatIPv6(pieces);
      expect(isCanonicalIPv6(text, pieces)).toBe(text === canonical);
      expect(isCanonicalIPv6(canonical, pieces)).toBe(true);
    }
  });
});
