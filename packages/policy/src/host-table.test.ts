import { describe, expect, it } from 'vitest';
import { HostTable, suffixHash } from './host-table.ts';
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

describe('HostTable when two suffixes share a hash', () => {
  it('tells them apart by their text', () => {
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; pair === undefined; i++) {
      const text = `l${i.toString(36)}.com`;
      const h = suffixHash(text);
      const other = seen.get(h);
      if (other !== undefined) pair = [other, text];
      seen.set(h, text);
    }
    const [a, b] = pair;
    expect(suffixHash(a)).toBe(suffixHash(b));
    const table = new HostTable<string>();
    table.add(pattern(`*.${a}`), a, (old) => old);
    expect(table.lookup(`x.${b}`, false, 443)).toBeUndefined();
    table.add(pattern(`*.${b}:443`), b, (old) => old);
    expect(table.lookup(`x.${a}`, false, 443)).toBe(a);
    expect(table.lookup(`x.${b}`, false, 443)).toBe(b);
    expect(table.lookup(`x.${b}`, false, 80)).toBeUndefined();
  });
});

describe('HostTable with many ports on one host', () => {
  it('keeps every port, past the short list too, and merges repeats', () => {
    const table = new HostTable<string>();
    const ports = Array.from({ length: 20 }, (_, i) => 1000 + i * 7);
    for (const p of ports) {
      table.add(pattern(`example.com:${p}`), `exact:${p}`, (old) => old);
      table.add(pattern(`*:${p}`), `any:${p}`, (old) => old);
      table.add(pattern(`*.example.com:${p}`), `wild:${p}`, (old) => old);
    }
    table.add(pattern('example.com:1000'), 'later', (old, added) => `${old}+${added}`);
    table.add(pattern('example.com:1133'), 'later', (old, added) => `${old}+${added}`);
    table.add(pattern('example.com'), 'every port', (old) => old);
    expect(ports.map((p) => table.lookup('example.com', false, p))).toEqual(
      ports.map((p) =>
        p === 1000 ? 'exact:1000+later' : p === 1133 ? 'exact:1133+later' : `exact:${p}`,
      ),
    );
    expect(ports.map((p) => table.lookup('a.example.com', false, p))).toEqual(
      ports.map((p) => `wild:${p}`),
    );
    expect(ports.map((p) => table.lookup('other.org', false, p))).toEqual(
      ports.map((p) => `any:${p}`),
    );
    expect([
      table.lookup('example.com', false, 999),
      table.lookup('a.example.com', false, 999),
      table.lookup('other.org', false, 999),
    ]).toEqual(['every port', undefined, undefined]);
  });
});

describe('HostTable when two exact hosts share a hash', () => {
  it('tells them apart by their text', () => {
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; pair === undefined; i++) {
      const text = `h${i.toString(36)}.example`;
      const other = seen.get(suffixHash(text));
      if (other !== undefined) pair = [other, text];
      seen.set(suffixHash(text), text);
    }
    const [a, b] = pair;
    const table = new HostTable<string>();
    table.add(pattern(a), a, (old) => old);
    expect([a, b].map((h) => table.lookup(h, false, 443))).toEqual([a, undefined]);
    table.add(pattern(`${b}:443`), b, (old) => old);
    expect([a, b].map((h) => table.lookup(h, false, 443))).toEqual([a, b]);
    expect([a, b].map((h) => table.lookup(h, false, 80))).toEqual([a, undefined]);
  });
});

describe('HostTable past 4,096 exact hosts (the open-addressing table)', () => {
  it('decides as a scan over every pattern does, before and after the switch', () => {
    const table = new HostTable<string>();
    const exact = new Map<string, string>();
    const host = (i: number) => `h${i}.d${i % 7}.example`;
    const check = (count: number) => {
      for (let i = 0; i < count + 50; i += 3) {
        for (const port of [443, 80]) {
          const name = host(i);
          const want =
            exact.get(`${name}:${port}`) ??
            exact.get(name) ??
            (name.endsWith('.d3.example') ? '*.d3.example' : undefined);
          expect([name, port, table.lookup(name, false, port)]).toEqual([name, port, want]);
        }
      }
    };
    table.add(pattern('*.d3.example'), '*.d3.example', (old) => old);
    for (let i = 0; i < 6000; i++) {
      const text = i % 2 === 0 ? host(i) : `${host(i)}:443`;
      table.add(pattern(text), text, (old) => old);
      exact.set(text, text);
      if (i === 4000 || i === 5999) check(i);
    }
  });
});
