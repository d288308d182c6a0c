import { describe, expect, it } from 'vitest';
import { compilePolicy } from './compile.ts';
import { PolicyError } from './errors.ts';
import type { CheckRequest } from './types.ts';
import { canonicalHost, safeCanonicalHost } from './validate.ts';

// Hostile input: random strings built from the characters that matter to host parsing.
const ALPHABET = [
  ...'abcXYZ019.-_:[]%@/\\*# \t\r\n\u0000\u007f',
  'xn--',
  '0x',
  'ü',
  'ß',
  '。',
  '\u200b',
  '\u0308',
  '\ud800',
  '１',
  '::',
  'ffff:',
  '127.0.0.1',
  'localhost',
];

function randomHost(rnd: () => number): string {
  const n = Math.floor(rnd() * 12);
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(rnd() * ALPHABET.length)];
  return rnd() < 0.1 ? `[${s}]` : s;
}

describe('fuzz: check and canonicalHost on hostile input', () => {
  it('never throw, never hang, and agree with each other', () => {
    let seed = 99;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 4294967296;
    };
    const policy = compilePolicy({ allowHosts: ['*'] });
    for (let i = 0; i < 20_000; i++) {
      const host = randomHost(rnd);
      const canonical = safeCanonicalHost(host);
      if (canonical.ok) {
        // Canonical forms are fixed points: canonicalising again changes nothing.
        expect(canonicalHost(canonical.value)).toBe(canonical.value);
      } else {
        expect(() => canonicalHost(host)).toThrow(PolicyError);
      }
      const request = {
        host,
        port: 443,
        addresses: [randomHost(rnd), '93.184.215.14'],
      } as CheckRequest;
      const decision = policy.check(request);
      if (!canonical.ok) {
        expect(decision).toEqual({
          action: 'deny',
          tunnel: 'mitm',
          rule: null,
          reason: 'invalid-target',
        });
      } else {
        expect(decision.reason).not.toBe('invalid-target');
      }
    }
  });
});
