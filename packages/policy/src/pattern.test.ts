import { describe, expect, it } from 'vitest';
import { validateCidr, validateHostPattern } from './validate.ts';

describe('validateHostPattern: patterns are canonicalised exactly like hosts', () => {
  it.each([
    ['example.com', 'example.com'],
    ['EXAMPLE.COM', 'example.com'],
    ['Example.com.:443', 'example.com:443'],
    ['example.com:0443', 'example.com:443'],
    ['*.example.com', '*.example.com'],
    ['*.EXAMPLE.com.', '*.example.com'],
    ['*.Example.COM:443', '*.example.com:443'],
    ['*.bücher.de', '*.xn--bcher-kva.de'],
    ['*.xn--bcher-kva.de', '*.xn--bcher-kva.de'],
    ['*.com', '*.com'],
    ['*.host.docker.internal', '*.host.docker.internal'],
    ['*', '*'],
    ['*:443', '*:443'],
    ['*:65535', '*:65535'],
    ['localhost:1234', 'localhost:1234'],
    ['host.docker.internal:1234', 'localhost:1234'],
    ['127.0.0.1:8080', '127.0.0.1:8080'],
    ['0x7f.1:8080', '127.0.0.1:8080'],
    ['2130706433', '127.0.0.1'],
    ['[::1]', '[::1]'],
    ['[::1]:8080', '[::1]:8080'],
    ['::1', '[::1]'],
    ['[0:0::1]:1', '[::1]:1'],
    ['[::ffff:127.0.0.1]:80', '127.0.0.1:80'],
    ['[FE80::1%eth0]', '[fe80::1]'],
  ])('%j -> %j', (input, expected) => {
    expect(validateHostPattern(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['*.', 'a wildcard needs a domain after "*."'],
    ['*.:443', 'a wildcard needs a domain after "*."'],
    ['*.127.0.0.1', 'a wildcard needs a domain after "*.", not an IP address'],
    ['*.*.example.com', '"*" can only stand alone or as the whole first label'],
    [
      '*example.com',
      '"*" can only stand alone ("*") or as the whole first label ("*.example.com")',
    ],
    [
      'api.*.example.com',
      '"*" can only stand alone ("*") or as the whole first label ("*.example.com")',
    ],
    ['**', '"*" can only stand alone ("*") or as the whole first label ("*.example.com")'],
    [
      'example.com:0',
      'port 0 is never connectable: use a port from 1 to 65535, or leave it out to match every port',
    ],
    [
      '*:0',
      'port 0 is never connectable: use a port from 1 to 65535, or leave it out to match every port',
    ],
    ['example.com:65536', 'port 65536 is out of range: use a port from 1 to 65535'],
    ['example.com:99999', 'port 99999 is out of range: use a port from 1 to 65535'],
    ['example.com:', 'the port after ":" is empty: write a port from 1 to 65535, or no ":"'],
    ['example.com:http', 'port "http" is not a number from 1 to 65535'],
    ['example.com:-1', 'port "-1" is not a number from 1 to 65535'],
    ['example.com:443:443', 'not a valid IPv6 address'],
    ['https://example.com', 'remove the scheme: write "example.com"'],
    ['example.com/api', 'a host pattern has no path: write the host alone'],
    ['', 'it is empty'],
    ['exa mple.com', 'it contains a space'],
    ['a@b', 'it contains "@"'],
    ['[::1]8080', 'unexpected "8080" after "]"'],
    ['[::1', 'a "[" must close with "]"'],
    ['example..com', 'the name has an empty label'],
    [`${'a'.repeat(64)}.com`, 'a label is 64 characters long (at most 63)'],
  ])('%j: %s', (input, reason) => {
    expect(validateHostPattern(input)).toEqual({
      ok: false,
      reason: `invalid host pattern ${JSON.stringify(input)}: ${reason}`,
    });
  });

  it('a non-string pattern is invalid', () => {
    expect(validateHostPattern(443)).toEqual({
      ok: false,
      reason: 'a host pattern must be a string, not number',
    });
  });
});

describe('validateCidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['192.168.1.7/32', '192.168.1.7/32'],
    ['192.168.1.7', '192.168.1.7/32'],
    ['FC00::/7', 'fc00::/7'],
    ['fe80:0:0:0::/10', 'fe80::/10'],
    ['::/0', '::/0'],
    ['::1', '::1/128'],
    ['2001:DB8::/32', '2001:db8::/32'],
    ['::ffff:10.0.0.0/104', '10.0.0.0/8'],
    ['::ffff:0:0/96', '0.0.0.0/0'],
    ['64:ff9b::/96', '64:ff9b::/96'],
  ])('%j -> %j', (input, expected) => {
    expect(validateCidr(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['10.0.0.1/8', 'host bits are set beyond the /8 prefix; did you mean 10.0.0.0/8?'],
    ['172.16.0.0/11', 'host bits are set beyond the /11 prefix; did you mean 172.0.0.0/11?'],
    ['fe80::1/10', 'host bits are set beyond the /10 prefix; did you mean fe80::/10?'],
    ['10.0.0.0/33', 'the prefix length 33 is over 32'],
    ['fc00::/129', 'the prefix length 129 is over 128'],
    ['10.0.0.0/', 'the prefix length must be a number from 0 to 32'],
    ['10.0.0.0/x', 'the prefix length must be a number from 0 to 32'],
    ['10.0.0.0/-8', 'the prefix length must be a number from 0 to 32'],
    ['10/8', 'the address must be written as four decimal numbers (a.b.c.d)'],
    [
      '010.0.0.0/8',
      'the address must be written as four decimal numbers (a.b.c.d); did you mean 8.0.0.0/8?',
    ],
    [
      '0x0a.0.0.0/8',
      'the address must be written as four decimal numbers (a.b.c.d); did you mean 10.0.0.0/8?',
    ],
    ['256.0.0.0/8', 'the address must be written as four decimal numbers (a.b.c.d)'],
    ['example.com/8', 'the address must be written as four decimal numbers (a.b.c.d)'],
    ['/8', 'the address is missing: write it as 10.0.0.0/8 or fc00::/7'],
    ['fe80::%eth0/10', 'a CIDR has no zone id: remove the "%…" part'],
    ['fe80:::/10', 'not a valid IPv6 address'],
  ])('%j: %s', (input, reason) => {
    expect(validateCidr(input)).toEqual({
      ok: false,
      reason: `invalid CIDR ${JSON.stringify(input)}: ${reason}`,
    });
  });
});
