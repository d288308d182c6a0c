import { describe, expect, it } from 'vitest';
import { PolicyError } from './errors.ts';
import { compileHostPatterns } from './matcher.ts';

describe('compileHostPatterns: the most specific matching pattern, canonical', () => {
  const matcher = compileHostPatterns([
    'api.anthropic.com',
    '*.example.com:443',
    '*.example.com',
    '*.api.example.com',
    'EXAMPLE.com:8443',
    '*:9000',
    '127.0.0.1:8080',
  ]);
  it.each<[string, number, string | null]>([
    ['api.anthropic.com', 443, 'api.anthropic.com'],
    ['API.Anthropic.COM.', 80, 'api.anthropic.com'],
    ['anthropic.com', 443, null],
    ['www.example.com', 443, '*.example.com:443'],
    ['www.example.com', 80, '*.example.com'],
    ['v1.api.example.com', 443, '*.api.example.com'],
    ['example.com', 443, null],
    ['example.com', 8443, 'example.com:8443'],
    ['example.com', 9000, '*:9000'],
    ['0x7f.1', 8080, '127.0.0.1:8080'],
    ['[::ffff:127.0.0.1]', 8080, '127.0.0.1:8080'],
    ['a@b', 9000, null],
    ['example.com', 0, null],
    ['example.com', 65536, null],
  ])('%j port %d -> %j', (host, port, expected) => {
    expect(matcher.match(host, port)).toBe(expected);
  });

  it('rejects bad patterns, naming the list', () => {
    let error: unknown;
    try {
      compileHostPatterns(['ok.example', '*.'], 'credentials');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyError);
    expect(error).toMatchObject({
      code: 'SBX_POLICY_INVALID',
      issues: ['credentials[1]: invalid host pattern "*.": a wildcard needs a domain after "*."'],
    });
  });
});
