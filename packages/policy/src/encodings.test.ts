import { describe, expect, it } from 'vitest';
import { compilePolicy } from './compile.ts';
import type { CheckRequest, Decision } from './types.ts';

// Every other way of spelling a blocked destination must land on the same decision.
const loopback: Decision = {
  action: 'deny',
  tunnel: 'mitm',
  rule: '127.0.0.0/8',
  reason: 'cidr-rule',
};
const invalid: Decision = { action: 'deny', tunnel: 'mitm', rule: null, reason: 'invalid-target' };
const cidr = (rule: string): Decision => ({
  action: 'deny',
  tunnel: 'mitm',
  rule,
  reason: 'cidr-rule',
});

describe('spellings of blocked addresses, as the host (allow mode, --allow-host *)', () => {
  const policy = compilePolicy({ allowHosts: ['*'] });
  it.each<[string, Decision]>([
    ['127.0.0.1', loopback],
    ['2130706433', loopback],
    ['0x7f.1', loopback],
    ['0x7F000001', loopback],
    ['0177.0.0.1', loopback],
    ['127.1', loopback],
    ['127.0.0.1.', loopback],
    ['１２７.０.０.１', loopback],
    ['localhost', loopback],
    ['LOCALHOST.', loopback],
    ['host.docker.internal', loopback],
    ['[::ffff:127.0.0.1]', loopback],
    ['[::ffff:7f00:1]', loopback],
    ['[::127.0.0.1]', loopback], // IPv4-compatible
    ['[2002:7f00:1::]', loopback], // 6to4 of 127.0.0.1
    ['[2002:7f00:1:ffff::1]', loopback],
    ['[64:ff9b::7f00:1]', loopback], // NAT64 of 127.0.0.1
    ['[64:ff9b::127.0.0.1]', loopback],
    ['[::1]', cidr('::1/128')],
    ['::1', cidr('::1/128')],
    ['[0:0:0:0:0:0:0:1]', cidr('::1/128')],
    ['[::]', cidr('::/128')],
    ['0.0.0.0', cidr('0.0.0.0/8')],
    ['0', cidr('0.0.0.0/8')],
    ['[::ffff:0.0.0.0]', cidr('0.0.0.0/8')],
    ['[fe80::1%eth0]', cidr('fe80::/10')],
    ['fe80::1%eth0', cidr('fe80::/10')],
    ['[FE80::1%25eth0]', cidr('fe80::/10')],
    ['[fd12:3456::1]', cidr('fc00::/7')],
    ['169.254.169.254', cidr('169.254.0.0/16')],
    ['0xa9fea9fe', cidr('169.254.0.0/16')],
    ['[::ffff:169.254.169.254]', cidr('169.254.0.0/16')],
    ['[64:ff9b::a9fe:a9fe]', cidr('169.254.0.0/16')],
    ['[2002:a00:1::]', cidr('10.0.0.0/8')],
    ['012.1', cidr('10.0.0.0/8')],
    ['172.31.255.255', cidr('172.16.0.0/12')],
    ['192.168.0.1', cidr('192.168.0.0/16')],
    ['3232235521', cidr('192.168.0.0/16')],
  ])('%j is denied', (host, expected) => {
    expect(policy.check({ host, port: 80 })).toEqual(expected);
  });

  it.each<[string, string]>([
    ['[::ffff:1.2.3.4]', '1.2.3.4'],
    ['[2002:102:304::]', '2002:102:304::'],
    ['[64:ff9b::1.2.3.4]', '64:ff9b::102:304'],
    ['16909060', '1.2.3.4'],
    ['[2606:4700::1111]', '2606:4700::1111'],
  ])('%j embeds a public address and is allowed, dialled as %j', (host, address) => {
    expect(policy.check({ host, port: 443 })).toEqual({
      action: 'allow',
      tunnel: 'mitm',
      rule: '*',
      reason: 'host-rule',
      address,
    });
  });
});

describe('spellings of blocked addresses, as resolved addresses', () => {
  const policy = compilePolicy({});
  it.each<[string, Decision]>([
    ['127.0.0.1', loopback],
    ['::ffff:127.0.0.1', loopback],
    ['::ffff:7f00:1', loopback],
    ['::7f00:1', loopback],
    ['2002:7f00:1::', loopback],
    ['64:ff9b::7f00:1', loopback],
    ['::1', cidr('::1/128')],
    ['::', cidr('::/128')],
    ['0.0.0.0', cidr('0.0.0.0/8')],
    ['::ffff:10.1.2.3', cidr('10.0.0.0/8')],
    ['FE80::1', cidr('fe80::/10')],
  ])('%j is denied', (address, expected) => {
    expect(policy.check({ host: 'rebinding.example', port: 443, addresses: [address] })).toEqual(
      expected,
    );
  });

  it.each([
    ['2130706433'],
    ['0x7f.1'],
    ['127.1'],
    ['0177.0.0.1'],
    ['fe80::1%eth0'],
    ['[::1]'],
    [''],
  ])('a resolved address must be in strict form: %j is ignored', (address) => {
    expect(policy.check({ host: 'example.com', port: 443, addresses: [address] })).toEqual({
      action: 'deny',
      tunnel: 'mitm',
      rule: null,
      reason: 'unresolved',
    });
  });
});

describe('IDN and punycode of one name match the same rules', () => {
  it.each([
    ['bücher.de'],
    ['BÜCHER.DE.'],
    ['xn--bcher-kva.de'],
    ['XN--BCHER-KVA.de'],
    ['bu\u0308cher.de'],
  ])('%j matches an allow rule written in either form', (host) => {
    for (const pattern of ['bücher.de', 'xn--bcher-kva.de']) {
      const policy = compilePolicy({ policy: 'deny', allowHosts: [pattern] });
      expect(policy.check({ host, port: 443, addresses: ['1.2.3.4'] })).toEqual({
        action: 'allow',
        tunnel: 'mitm',
        rule: 'xn--bcher-kva.de',
        reason: 'host-rule',
        address: '1.2.3.4',
      });
    }
  });

  it('a block rule in punycode blocks the Unicode spelling', () => {
    const policy = compilePolicy({ blockHosts: ['*.XN--BCHER-KVA.DE'] });
    expect(policy.check({ host: 'www.bücher.de', port: 443, addresses: ['1.2.3.4'] })).toEqual({
      action: 'deny',
      tunnel: 'mitm',
      rule: '*.xn--bcher-kva.de',
      reason: 'host-rule',
    });
  });
});

describe('patterns are canonicalised like hosts', () => {
  it.each<[string, string, number]>([
    ['127.0.0.1:8080', '0x7f.1', 8080],
    ['127.0.0.1:8080', '[::ffff:127.0.0.1]', 8080],
    ['EXAMPLE.COM:443', 'example.com', 443],
    ['*.EXAMPLE.COM.', 'Api.Example.Com.', 443],
    ['[0:0:0:0:0:0:0:1]:8080', '::1', 8080],
    ['2130706433:8080', '127.0.0.1', 8080],
  ])('allow %j matches host %j', (pattern, host, port) => {
    const policy = compilePolicy({ policy: 'deny', allowHosts: [pattern] });
    expect(policy.check({ host, port, addresses: ['1.2.3.4'] }).action).toBe('allow');
  });
});

describe('hostile targets are denied as invalid-target, never thrown', () => {
  const policy = compilePolicy({ allowHosts: ['*'] });
  it.each<[string, unknown, unknown]>([
    ['port 0', 'example.com', 0],
    ['port 65536', 'example.com', 65536],
    ['port -1', 'example.com', -1],
    ['port 1.5', 'example.com', 1.5],
    ['port NaN', 'example.com', Number.NaN],
    ['port as a string', 'example.com', '443'],
    ['port missing', 'example.com', undefined],
    ['host a@b', 'a@b', 443],
    ['host with a space', 'exa mple.com', 443],
    ['host with a trailing space', 'example.com ', 443],
    ['host with a NUL', 'example.com\u0000.evil', 443],
    ['host with CR LF', 'example.com\r\nX-Injected: 1', 443],
    ['host with DEL', 'example\u007f.com', 443],
    ['host with a port in it', 'example.com:443', 443],
    ['host with a path', 'example.com/x', 443],
    ['over-long label', `${'a'.repeat(64)}.com`, 443],
    ['over-long name', `${'abcdefghi.'.repeat(26)}com`, 443],
    ['huge host', 'a'.repeat(100_000), 443],
    ['empty host', '', 443],
    ['host not a string', 42, 443],
    ['host null', null, 443],
    ['unclosed bracket', '[::1', 443],
    ['bad zone id', '[fe80::1%eth0/x]', 443],
    ['number that is not an address', '999.999.999.999', 443],
  ])('%s', (_name, host, port) => {
    expect(policy.check({ host, port, addresses: ['1.2.3.4'] } as CheckRequest)).toEqual(invalid);
  });

  const unresolved: Decision = { action: 'deny', tunnel: 'mitm', rule: null, reason: 'unresolved' };
  const throwing = Object.defineProperty({ port: 443 }, 'host', {
    get: () => {
      throw new Error('boom');
    },
  });
  it.each<[string, unknown, Decision]>([
    ['null', null, invalid],
    ['a string', 'example.com', invalid],
    ['a throwing getter', throwing, invalid],
    [
      'addresses not an array',
      { host: 'example.com', port: 443, addresses: { 0: '1.2.3.4', length: 1 } },
      unresolved,
    ],
    [
      'addresses that are not strings',
      { host: 'example.com', port: 443, addresses: [null, 16909060, { text: '1.2.3.4' }] },
      unresolved,
    ],
  ])('a malformed request (%s) is denied, never thrown', (_name, request, expected) => {
    expect(policy.check(request as CheckRequest)).toEqual(expected);
  });

  it('ports 1 and 65535 are valid', () => {
    for (const port of [1, 65535]) {
      expect(policy.check({ host: 'example.com', port, addresses: ['1.2.3.4'] })).toEqual({
        action: 'allow',
        tunnel: 'mitm',
        rule: '*',
        reason: 'host-rule',
        address: '1.2.3.4',
      });
    }
  });
});
