import { describe, expect, it } from 'vitest';
import { compilePolicy, safeCompilePolicy } from './compile.ts';
import { DEFAULT_BLOCKED_CIDRS } from './defaults.ts';
import { PolicyError } from './errors.ts';
import type { PolicyConfig } from './types.ts';

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('compilePolicy: invalid entries', () => {
  it('lists every bad entry with its list, index and reason', () => {
    const config = {
      policy: 'block',
      allowHosts: ['ok.example', '*.', 'example.com:0'],
      blockCidrs: ['10.0.0.1/8'],
      bypassHosts: ['https://example.com'],
      bypassCidrs: ['fe80::/129'],
    } as unknown as PolicyConfig;
    const issues = [
      'policy: unknown mode "block": use "allow" or "deny"',
      'allowHosts[1]: invalid host pattern "*.": a wildcard needs a domain after "*."',
      'allowHosts[2]: invalid host pattern "example.com:0": port 0 is never connectable: use a port from 1 to 65535, or leave it out to match every port',
      'bypassHosts[0]: invalid host pattern "https://example.com": remove the scheme: write "example.com"',
      'blockCidrs[0]: invalid CIDR "10.0.0.1/8": host bits are set beyond the /8 prefix; did you mean 10.0.0.0/8?',
      'bypassCidrs[0]: invalid CIDR "fe80::/129": the prefix length 129 is over 128',
    ];
    expect(safeCompilePolicy(config)).toEqual({ ok: false, issues });
    const error = thrown(() => compilePolicy(config));
    expect(error).toBeInstanceOf(PolicyError);
    expect(error).toMatchObject({
      name: 'PolicyError',
      code: 'SBX_POLICY_INVALID',
      issues,
      message: `invalid network policy, fix these 6 entries: ${issues.join('; ')}`,
    });
  });

  it.each<[string, unknown, string[]]>([
    [
      'a list that is not an array',
      { allowHosts: 'example.com' },
      ['allowHosts: expected a list of strings'],
    ],
    [
      'an entry that is not a string',
      { allowCidrs: [10] },
      ['allowCidrs[0]: a CIDR must be a string, not number'],
    ],
    [
      'a misspelt setting',
      { allowHost: ['example.com'] },
      ['allowHost: unknown setting; did you mean allowHosts?'],
    ],
    [
      'a misspelt setting in another case',
      { BLOCKCIDRS: [] },
      ['BLOCKCIDRS: unknown setting; did you mean blockCidrs?'],
    ],
    [
      'an unknown setting',
      { proxy: 1 },
      [
        'proxy: unknown setting; use one of policy, allowHosts, blockHosts, bypassHosts, allowCidrs, blockCidrs, bypassCidrs',
      ],
    ],
    ['a config that is not an object', ['example.com'], ['the policy must be an object']],
    ['null', null, ['the policy must be an object']],
  ])('%s', (_name, config, issues) => {
    expect(safeCompilePolicy(config as PolicyConfig)).toEqual({ ok: false, issues });
  });

  it('one bad entry is named in the singular', () => {
    expect(thrown(() => compilePolicy({ allowHosts: ['*.'] }))).toMatchObject({
      message:
        'invalid network policy, fix this entry: allowHosts[0]: invalid host pattern "*.": a wildcard needs a domain after "*."',
    });
  });

  it('an empty or missing config is the default allow policy', () => {
    expect(compilePolicy().mode).toBe('allow');
    expect(compilePolicy({}).mode).toBe('allow');
    expect(compilePolicy({ policy: 'deny' }).mode).toBe('deny');
  });
});

describe('policy.rules()', () => {
  it('lists the rules in evaluation order', () => {
    const policy = compilePolicy({
      policy: 'deny',
      allowHosts: [
        '*',
        'Example.COM',
        '*.example.com',
        'api.example.com:443',
        '*:443',
        'example.com',
        '[::1]:8080',
      ],
      blockHosts: ['*.ads.example.com', '*.example.com:80', 'example.com'],
      allowCidrs: ['10.1.0.0/16', 'fd00::/8'],
      blockCidrs: ['203.0.113.0/24', '127.0.0.0/8'],
      bypassHosts: ['*.pinned.example', 'pinned.example:443'],
      bypassCidrs: ['198.51.100.0/24'],
    });
    expect(
      policy
        .rules()
        .map(
          (r) =>
            `${r.kind} ${r.action} ${r.pattern} ${r.source}${'explicit' in r && r.explicit ? ' explicit' : ''}`,
        ),
    ).toEqual([
      'host allow [::1]:8080 allowHosts[6] explicit',
      'host allow api.example.com:443 allowHosts[3] explicit',
      'host block example.com blockHosts[2]',
      'host allow example.com allowHosts[1] explicit',
      'host block *.ads.example.com blockHosts[0]',
      'host block *.example.com:80 blockHosts[1]',
      'host allow *.example.com allowHosts[2] explicit',
      'host allow *:443 allowHosts[4]',
      'host allow * allowHosts[0]',
      'default block null policy',
      'cidr block 203.0.113.0/24 blockCidrs[0]',
      'cidr allow 10.1.0.0/16 allowCidrs[0]',
      'cidr block 169.254.0.0/16 default',
      'cidr block 192.168.0.0/16 default',
      'cidr block 172.16.0.0/12 default',
      'cidr block 0.0.0.0/8 default',
      'cidr block 10.0.0.0/8 default',
      'cidr block 127.0.0.0/8 blockCidrs[1]',
      'cidr block ::/128 default',
      'cidr block ::1/128 default',
      'cidr block fe80::/10 default',
      'cidr allow fd00::/8 allowCidrs[1]',
      'cidr block fc00::/7 default',
      'host bypass pinned.example:443 bypassHosts[1]',
      'host bypass *.pinned.example bypassHosts[0]',
      'cidr bypass 198.51.100.0/24 bypassCidrs[0]',
    ]);
  });

  it('returns whole rule objects, the same frozen list every time', () => {
    const policy = compilePolicy({ allowHosts: ['localhost:3000'] });
    expect(policy.rules()).toBe(policy.rules());
    expect(Object.isFrozen(policy.rules())).toBe(true);
    expect(policy.rules().slice(0, 3)).toEqual([
      {
        kind: 'host',
        action: 'allow',
        pattern: 'localhost:3000',
        explicit: true,
        source: 'allowHosts[0]',
      },
      { kind: 'default', action: 'allow', pattern: null, source: 'policy' },
      { kind: 'cidr', action: 'block', pattern: '169.254.0.0/16', source: 'default' },
    ]);
  });

  it('lists odd spellings in canonical form, after checks, with their sources', () => {
    const policy = compilePolicy({
      allowHosts: ['HOST.DOCKER.INTERNAL.:8080', '[::ffff:127.0.0.1]', '*.BÜCHER.de:443'],
      blockHosts: ['[FE80::1%25eth0]:22', '0x7f.1:9'],
      bypassHosts: ['*.host.docker.internal'],
      allowCidrs: ['::ffff:10.0.0.0/104'],
      bypassCidrs: ['2001:DB8::/32'],
    });
    expect(policy.check({ host: 'localhost', port: 8080 }).rule).toBe('localhost:8080');
    expect(
      policy
        .rules()
        .filter((r) => r.source !== 'default' && r.kind !== 'default')
        .map((r) => `${r.kind} ${r.action} ${r.pattern} ${r.source}`),
    ).toEqual([
      'host block 127.0.0.1:9 blockHosts[1]',
      'host block [fe80::1]:22 blockHosts[0]',
      'host allow localhost:8080 allowHosts[0]',
      'host allow 127.0.0.1 allowHosts[1]',
      'host allow *.xn--bcher-kva.de:443 allowHosts[2]',
      'cidr allow 10.0.0.0/8 allowCidrs[0]',
      'host bypass *.host.docker.internal bypassHosts[0]',
      'cidr bypass 2001:db8::/32 bypassCidrs[0]',
    ]);
  });

  it('always includes the default blocked CIDRs', () => {
    const cidrs = compilePolicy({})
      .rules()
      .filter((r) => r.kind === 'cidr')
      .map((r) => r.pattern);
    expect([...cidrs].sort()).toEqual([...DEFAULT_BLOCKED_CIDRS].sort());
  });
});
