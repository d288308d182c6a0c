import { describe, expect, it } from 'vitest';
import { HostTable } from './host-table.ts';
import { type HostPattern, parseHostPattern } from './pattern.ts';

function pattern(text: string): HostPattern {
  const p = parseHostPattern(text);
  if (typeof p === 'string') throw new Error(p);
  return p;
}

describe('HostTable with many overlapping wildcards', () => {
  it('finds the longest matching suffix, as a scan over every pattern does', () => {
    let seed = 3;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const labels = ['a', 'b', 'c', 'com', 'net', 'x1', 'yy', 'zzz'];
    const name = (n: number) =>
      Array.from({ length: n }, () => labels[rnd(labels.length)]).join('.');
    const table = new HostTable<string>();
    const suffixes: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const suffix = name(1 + rnd(4));
      suffixes.push(suffix);
      table.add(pattern(`*.${suffix}`), suffix, (old) => old);
    }
    for (let i = 0; i < 3000; i++) {
      const host = name(1 + rnd(6));
      const best = suffixes
        .filter((s) => host.endsWith(`.${s}`))
        .sort((x, y) => y.length - x.length)[0];
      expect([host, table.lookup(host, false, 443)]).toEqual([host, best]);
    }
  });
});
