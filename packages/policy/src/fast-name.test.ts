import { describe, expect, it } from 'vitest';
import { compilePolicy } from './compile.ts';
import { fastName, parseHost } from './host.ts';

const long63 = 'a'.repeat(63);
// 4 labels of 63 and dots: 255; trimmed to exactly 253 and 254 characters.
const name253 = `${long63}.${long63}.${long63}.${'a'.repeat(61)}`;

describe('fastName: the allocation-free path takes only names that are already canonical', () => {
  it.each([
    ['example.com', 'example.com'],
    ['a', 'a'],
    ['_dmarc.example.com', '_dmarc.example.com'],
    ['a-b--c.example', 'a-b--c.example'],
    ['localhost', 'localhost'],
    ['x.example', 'x.example'],
    ['xn-a.example', 'xn-a.example'], // not an `xn--` label
    ['axn--b.example', 'axn--b.example'], // `xn--` not at a label start
    ['1.example', '1.example'], // digits only matter in the last label
    ['example.c0m', 'example.c0m'],
    ['example.-1', 'example.-1'],
    [`${long63}.com`, `${long63}.com`],
    [name253, name253],
  ])('%s -> %s', (input, expected) => {
    expect(fastName(input)).toBe(expected);
  });

  it.each([
    ['EXAMPLE.com'], // upper case
    ['example.Com'],
    ['example.com.'], // trailing dot
    ['xn--bcher-kva.de'], // punycode is validated by UTS #46
    ['a.xn--'],
    ['XN--bcher-kva.de'],
    ['127.0.0.1'], // a numeric last label may be IPv4 in a short form
    ['127.1'],
    ['2130706433'],
    ['0x7f.1'],
    ['example.0x'],
    ['example.123'],
    ['host.docker.internal'], // an alias
    ['::1'],
    ['[::1]'],
    [''],
    ['.'],
    ['a..b'],
    ['.a'],
    [`${'a'.repeat(64)}.com`], // label of 64
    [`com.${'a'.repeat(64)}`],
    [`${name253}a`], // 254 characters
    ['a\u0000b'], // control characters
    ['a\tb'],
    ['a\u007fb'],
    ['a b'],
    ['a@b'],
    ['a%2e'],
    ['a/b'],
    ['*.a'],
    ['bücher.de'],
    ['ex\u00ADample.com'],
    ['example。com'],
    [42],
    [null],
  ])('%j -> the full parser', (input) => {
    expect(fastName(input)).toBeNull();
  });

  it('agrees with the full parser on random strings', () => {
    const alphabet = [...'abxnz09-_.:[]@ A\u0000\u007fü', 'xn--', 'host.docker.internal'];
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    let taken = 0;
    for (let i = 0; i < 20_000; i++) {
      let s = '';
      for (let n = rnd(10); n > 0; n--) s += alphabet[rnd(alphabet.length)];
      const fast = fastName(s);
      if (fast === null) continue;
      taken++;
      expect([s, parseHost(s)]).toEqual([s, { kind: 'name', name: s }]);
    }
    expect(taken).toBeGreaterThan(1000);
  });

  it('leaves decisions unchanged at its boundaries', () => {
    const policy = compilePolicy({
      policy: 'deny',
      allowHosts: ['example.com:443', '127.0.0.1:443', 'localhost:443', 'xn--bcher-kva.de'],
    });
    const decide = (host: string) => policy.check({ host, port: 443 }).rule;
    expect(
      ['example.com', 'EXAMPLE.com.', '127.1', 'host.docker.internal', 'XN--BCHER-KVA.de'].map(
        decide,
      ),
    ).toEqual([
      'example.com:443',
      'example.com:443',
      '127.0.0.1:443',
      'localhost:443',
      'xn--bcher-kva.de',
    ]);
  });
});
