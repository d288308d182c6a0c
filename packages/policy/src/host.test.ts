import { describe, expect, it } from 'vitest';
import { PolicyError } from './errors.ts';
import { canonicalHost, safeCanonicalHost } from './validate.ts';

describe('canonicalHost: every spelling of one host gives one form', () => {
  it.each([
    // names: case, trailing dot, IDN (UTS #46 non-transitional, as WHATWG URL)
    ['example.com', 'example.com'],
    ['EXAMPLE.Com', 'example.com'],
    ['example.com.', 'example.com'],
    ['LOCALHOST.', 'localhost'],
    ['host.docker.internal', 'localhost'],
    ['HOST.DOCKER.INTERNAL.', 'localhost'],
    ['bücher.de', 'xn--bcher-kva.de'],
    ['BÜCHER.de', 'xn--bcher-kva.de'],
    ['xn--bcher-kva.de', 'xn--bcher-kva.de'],
    ['XN--BCHER-KVA.DE.', 'xn--bcher-kva.de'],
    ['faß.de', 'xn--fa-hia.de'], // non-transitional: ß is kept, not mapped to ss
    ['ＥＸＡＭＰＬＥ．com', 'example.com'], // full-width letters and dot
    ['example。com', 'example.com'], // ideographic full stop
    ['ex\u00ADample.com', 'example.com'], // soft hyphen is ignored
    ['_dmarc.example.com', '_dmarc.example.com'],
    ['a-b--c.example', 'a-b--c.example'],
    [`${'a'.repeat(63)}.com`, `${'a'.repeat(63)}.com`],
    // IPv4 in every form WHATWG URL accepts
    ['127.0.0.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['0X7F.0.0.1', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['0177.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['127.0.1', '127.0.0.1'],
    ['127.0.0.1.', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['017700000001', '127.0.0.1'],
    ['0', '0.0.0.0'],
    ['0.0.0.0', '0.0.0.0'],
    ['0x', '0.0.0.0'],
    ['１２７.０.０.１', '127.0.0.1'], // full-width digits
    ['4294967295', '255.255.255.255'],
    // IPv6: brackets, case, zone ids, RFC 5952 output; IPv4-mapped is the IPv4 address
    ['[::1]', '::1'],
    ['::1', '::1'],
    ['[0:0:0:0:0:0:0:1]', '::1'],
    ['[FE80::1]', 'fe80::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['[fe80::1%25eth0]', 'fe80::1'],
    ['[2001:DB8:0:0:1:0:0:1]', '2001:db8::1:0:0:1'],
    ['[2001:db8:0:1:1:1:1:1]', '2001:db8:0:1:1:1:1:1'],
    ['[::ffff:127.0.0.1]', '127.0.0.1'],
    ['[::ffff:7f00:1]', '127.0.0.1'],
    ['[::127.0.0.1]', '::7f00:1'],
    ['[2002:7f00:1::]', '2002:7f00:1::'],
    ['[64:ff9b::127.0.0.1]', '64:ff9b::7f00:1'],
    ['[::]', '::'],
  ])('%j -> %j', (input, expected) => {
    expect(canonicalHost(input)).toBe(expected);
  });
});

describe('canonicalHost: invalid hosts say why', () => {
  const long = `${'a'.repeat(60)}.`.repeat(5);
  it.each([
    ['', 'the host is empty'],
    ['a@b', 'it contains "@"'],
    ['user@example.com', 'it contains "@"'],
    ['exa mple.com', 'it contains a space'],
    [' example.com', 'it contains a space'],
    ['example.com\n', 'it contains a control character'],
    ['exa\u0000mple.com', 'it contains a control character'],
    ['a\tb', 'it contains a control character'],
    ['example.com/path', 'it contains "/"'],
    ['example.com\\', 'it contains "\\"'],
    ['ex%41mple.com', 'it contains "%"'],
    ['*.example.com', 'it contains "*"'],
    ['example.com:443', 'not a valid IPv6 address'],
    ['a..b', 'the name has an empty label'],
    ['.example.com', 'the name has an empty label'],
    ['example.com..', 'the name has an empty label'],
    ['.', 'the name has an empty label'],
    [`${'a'.repeat(64)}.com`, 'a label is 64 characters long (at most 63)'],
    [`x.${'a'.repeat(64)}`, 'a label is 64 characters long (at most 63)'],
    [long.slice(0, 254), 'the name is 254 characters long (at most 253)'],
    ['a'.repeat(1025), 'the host is 1025 characters long'],
    ['xn--zz.com', 'it is not a valid internationalised domain name'],
    ['a\u200Bb\u0000', 'it contains a control character'],
    ['ａ＠ｂ', 'it is not a valid internationalised domain name'],
    ['example.123', 'it ends in a number but is not a valid IPv4 address'],
    ['1.2.3.4.5', 'it ends in a number but is not a valid IPv4 address'],
    ['256.0.0.1', 'it ends in a number but is not a valid IPv4 address'],
    ['4294967296', 'it ends in a number but is not a valid IPv4 address'],
    ['08.0.0.1', 'it ends in a number but is not a valid IPv4 address'],
    ['foo.0x', 'it ends in a number but is not a valid IPv4 address'],
    ['[::1', 'a "[" must close with "]"'],
    ['[127.0.0.1]', 'not a valid IPv6 address'],
    ['[1::2::3]', 'not a valid IPv6 address'],
    ['[::ffff:0x7f.1]', 'not a valid IPv6 address'],
    ['[::ffff:127.000.0.1]', 'not a valid IPv6 address'],
    ['[1:2:3:4:5:6:7:8:9]', 'not a valid IPv6 address'],
    ['[fe80::1%]', 'invalid IPv6 zone id'],
    ['[fe80::1%eth 0]', 'invalid IPv6 zone id'],
  ])('%j: %s', (input, reason) => {
    expect(safeCanonicalHost(input)).toEqual({
      ok: false,
      reason: `invalid host ${JSON.stringify(input.slice(0, 100))}: ${reason}`,
    });
  });

  it('throws a PolicyError with a stable code', () => {
    const error = (() => {
      try {
        canonicalHost('a@b');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(PolicyError);
    expect(error).toMatchObject({
      code: 'SBX_POLICY_INVALID_HOST',
      message: 'invalid host "a@b": it contains "@"',
      issues: ['invalid host "a@b": it contains "@"'],
    });
  });

  it.each([[undefined], [null], [42], [{}]])('a non-string host (%j) is invalid', (input) => {
    expect(safeCanonicalHost(input)).toEqual({
      ok: false,
      reason: `invalid host ${typeof input}: a host must be a string`,
    });
  });
});
