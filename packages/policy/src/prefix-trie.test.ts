import { describe, expect, it } from 'vitest';
import { type CidrAction, PrefixTrie } from './prefix-trie.ts';

const ACTIONS: CidrAction[] = ['block', 'allow', 'bypass'];

function walkResult(t: PrefixTrie, addr: number): number[] {
  t.walk4(addr);
  return [t.block, t.blockLen, t.allow, t.allowLen, t.bypass];
}

describe('PrefixTrie.accelerate16', () => {
  it('walks exactly like the plain trie', () => {
    let seed = 11;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed;
    };
    const plain = new PrefixTrie();
    const fast = new PrefixTrie();
    const prefixes: number[] = [];
    for (let rule = 0; rule < 3000; rule++) {
      // Lengths across the 16-bit boundary, including /0, /16 and /32.
      const len = [0, 1, 8, 12, 15, 16, 17, 20, 24, 31, 32][rnd() % 11]!;
      const addr = len === 0 ? 0 : (rnd() & (-1 << (32 - len))) >>> 0;
      const action = ACTIONS[rnd() % 3]!;
      plain.insert4(addr, len, action, rule);
      fast.insert4(addr, len, action, rule);
      prefixes.push(addr);
    }
    fast.accelerate16();
    for (let n = 0; n < 20_000; n++) {
      // Half the addresses inside stored prefixes, half anywhere.
      const addr =
        n % 2 ? rnd() >>> 0 : (prefixes[rnd() % prefixes.length]! | (rnd() & 0xff)) >>> 0;
      expect([addr, ...walkResult(fast, addr)]).toEqual([addr, ...walkResult(plain, addr)]);
    }
  });

  it('is dropped by a later insert', () => {
    const t = new PrefixTrie();
    t.insert4(0x0a000000, 8, 'block', 0);
    t.accelerate16();
    t.insert4(0x0a010000, 16, 'allow', 1);
    expect(walkResult(t, 0x0a010203)).toEqual([0, 8, 1, 16, -1]);
  });
});
