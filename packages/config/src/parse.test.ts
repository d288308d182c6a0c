import { describe, expect, it } from 'vitest';
import { builtinProxyConfig } from './defaults.ts';
import { parseProxyConfig, safeParseProxyConfig } from './parse.ts';
import type { ProxyConfig } from './types.ts';

const empty: ProxyConfig = {
  version: 1,
  policy: 'allow',
  allowHosts: [],
  blockHosts: [],
  allowCidrs: [],
  blockCidrs: [],
  bypassHosts: [],
  bypassCidrs: [],
  credentials: [],
};

describe('safeParseProxyConfig', () => {
  it('round-trips a full config, as text and as a value', () => {
    const full: ProxyConfig = {
      version: 1,
      policy: 'deny',
      allowHosts: ['api.example.com:443', '*.github.com', 'localhost:1234'],
      blockHosts: ['*.example.com'],
      allowCidrs: ['10.1.0.0/16'],
      blockCidrs: ['203.0.113.0/24'],
      bypassHosts: ['registry.example.org'],
      bypassCidrs: ['2001:db8::/32'],
      credentials: [
        {
          host: 'api.example.com',
          header: 'authorization',
          format: 'Bearer {value}',
          env: 'EX_KEY',
        },
      ],
    };
    expect(safeParseProxyConfig(JSON.stringify(full))).toEqual({ ok: true, value: full });
    expect(safeParseProxyConfig(full)).toEqual({ ok: true, value: full });
    expect(safeParseProxyConfig(builtinProxyConfig())).toEqual({
      ok: true,
      value: builtinProxyConfig(),
    });
  });

  it('fills every missing field with its default', () => {
    expect(safeParseProxyConfig('{}')).toEqual({ ok: true, value: empty });
    expect(
      safeParseProxyConfig({ credentials: [{ host: 'a.com', header: 'x-api-key', env: 'A' }] }),
    ).toEqual({
      ok: true,
      value: {
        ...empty,
        credentials: [{ host: 'a.com', header: 'x-api-key', format: '{value}', env: 'A' }],
      },
    });
  });

  it.each([
    [
      'invalid JSON',
      '{"policy": "deny",}',
      ['invalid JSON: line 1, column 19: a trailing comma is not allowed in JSON'],
    ],
    ['not an object', '["a.com"]', ['a proxy config must be a JSON object']],
    ['wrong type', '{"allowHosts": "a.com"}', ['allowHosts: must be an array, not a string']],
    ['wrong entry type', '{"blockCidrs": [null]}', ['blockCidrs[0]: must be a string, not null']],
    ['unknown mode', '{"policy": "permit"}', ['policy: must be "allow" or "deny"']],
    [
      'future version',
      '{"version": 2}',
      [
        'version: unsupported version 2: this sbx reads version 1; upgrade sbx or rewrite the file as version 1',
      ],
    ],
    [
      'unknown key (typo)',
      '{"alowHosts": ["a.com"]}',
      ['alowHosts: unknown key; did you mean "allowHosts"?'],
    ],
    [
      'bad credential host',
      '{"credentials": [{"host": "*.", "header": "x-k", "env": "K"}]}',
      ['credentials[0].host: invalid host pattern "*.": a wildcard needs a domain after "*."'],
    ],
    ['unknown key', '{"proxy": 1}', ['proxy: unknown key; remove it']],
    [
      'bad host pattern',
      '{"allowHosts": ["a.com", "*."]}',
      ['allowHosts[1]: invalid host pattern "*.": a wildcard needs a domain after "*."'],
    ],
    [
      'bad CIDR',
      '{"bypassCidrs": ["10.0.0.0/33"]}',
      ['bypassCidrs[0]: invalid CIDR "10.0.0.0/33": the prefix length 33 is over 32'],
    ],
    [
      'unknown credential key',
      '{"credentials": [{"host": "*.", "header": "x-k", "env": "K", "fromat": ""}]}',
      ['credentials[0].fromat: unknown key; did you mean "format"?'],
    ],
  ])('reports %s', (_, json, issues) => {
    expect(safeParseProxyConfig(json)).toEqual({ ok: false, issues });
  });

  it('never echoes a credential value, even one put where it does not belong', () => {
    const result = safeParseProxyConfig({
      credentials: [
        {
          host: 'a.com',
          header: 'Host',
          format: 'sk-secret-1',
          env: 'sk-secret-2',
          value: 'sk-secret-3',
        },
      ],
    });
    expect(result).toEqual({
      ok: false,
      issues: [
        'credentials[0].header: names a header that frames the request and cannot be injected',
        'credentials[0].format: must contain "{value}" exactly once, where the secret goes (never the secret itself)',
        'credentials[0].env: is not an environment variable name: use letters, digits and "_"',
        'credentials[0].value: unknown key; remove it',
      ],
    });
    expect(JSON.stringify(result)).not.toMatch(/sk-secret/);
  });

  it("imports the field names of Docker's own file (best effort)", () => {
    const docker = {
      policy: { default: 'deny' },
      network: {
        allowedDomains: ['api.example.com'],
        blockedDomains: ['*.example.com'],
        blockCIDR: ['203.0.113.0/24'],
      },
    };
    expect(safeParseProxyConfig(docker)).toEqual({
      ok: true,
      value: {
        ...empty,
        policy: 'deny',
        allowHosts: ['api.example.com'],
        blockHosts: ['*.example.com'],
        blockCidrs: ['203.0.113.0/24'],
      },
    });
    expect(
      safeParseProxyConfig({
        policy: 'allow',
        network: { blockCIDR: ['1.2.3.4/40'], allowDomains: [] },
      }),
    ).toEqual({
      ok: false,
      issues: ['network.allowDomains: unknown key; did you mean "allowedDomains"?'],
    });
    expect(safeParseProxyConfig({ network: { blockCIDR: ['1.2.3.4/40'] } })).toEqual({
      ok: false,
      issues: ['network.blockCIDR[0]: invalid CIDR "1.2.3.4/40": the prefix length 40 is over 32'],
    });
  });
});

describe('parseProxyConfig', () => {
  it('throws the same issues as a ConfigError with a stable code', () => {
    expect(() => parseProxyConfig('{"policy": 1}')).toThrow(
      expect.objectContaining({
        code: 'SBX_CONFIG_INVALID',
        message: 'invalid proxy config: policy: must be "allow" or "deny"',
        issues: ['policy: must be "allow" or "deny"'],
      }),
    );
    expect(() => parseProxyConfig('{')).toThrow(
      expect.objectContaining({ code: 'SBX_CONFIG_SYNTAX' }),
    );
  });
});
