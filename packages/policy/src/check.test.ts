import { describe, expect, it } from 'vitest';
import { compilePolicy } from './compile.ts';
import type { CheckRequest, Decision, PolicyConfig } from './types.ts';

const allow = (rule: string | null, reason: Decision['reason'], address?: string): Decision =>
  address === undefined
    ? { action: 'allow', tunnel: 'mitm', rule, reason }
    : { action: 'allow', tunnel: 'mitm', rule, reason, address };
const bypass = (rule: string | null, reason: Decision['reason'], address?: string): Decision => ({
  ...allow(rule, reason, address),
  tunnel: 'bypass',
});
const deny = (rule: string | null, reason: Decision['reason']): Decision => ({
  action: 'deny',
  tunnel: 'mitm',
  rule,
  reason,
});
const PUBLIC = ['93.184.215.14'];

type Case = [string, PolicyConfig, CheckRequest, Decision];

describe('policy modes and defaults', () => {
  it.each<Case>([
    [
      'allow mode lets an unmatched public host through',
      {},
      { host: 'example.com', port: 443, addresses: PUBLIC },
      allow(null, 'default', '93.184.215.14'),
    ],
    [
      'deny mode denies an unmatched host',
      { policy: 'deny' },
      { host: 'example.com', port: 443, addresses: PUBLIC },
      deny(null, 'default'),
    ],
    [
      'allow mode still blocks the default private ranges',
      {},
      { host: 'intranet', port: 80, addresses: ['10.0.0.5'] },
      deny('10.0.0.0/8', 'cidr-rule'),
    ],
    [
      'localhost is not allowed by default',
      {},
      { host: 'localhost', port: 3000 },
      deny('127.0.0.0/8', 'cidr-rule'),
    ],
    [
      '0.0.0.0 reaches the local host, so it is blocked',
      {},
      { host: '0.0.0.0', port: 80 },
      deny('0.0.0.0/8', 'cidr-rule'),
    ],
    [
      'the unspecified IPv6 address is blocked',
      {},
      { host: '[::]', port: 80 },
      deny('::/128', 'cidr-rule'),
    ],
    [
      'a name without addresses cannot pass the CIDR stage',
      {},
      { host: 'example.com', port: 443, addresses: [] },
      deny(null, 'unresolved'),
    ],
    [
      'addresses that do not parse count as none',
      {},
      { host: 'example.com', port: 443, addresses: ['nope', '1.2.3'] },
      deny(null, 'unresolved'),
    ],
    [
      'the first address that passes is dialled',
      {},
      { host: 'example.com', port: 443, addresses: ['10.0.0.1', '93.184.215.14', '1.1.1.1'] },
      allow(null, 'default', '93.184.215.14'),
    ],
    [
      'an IP literal host is its own address: addresses are ignored',
      {},
      { host: '93.184.215.14', port: 443, addresses: ['10.0.0.1'] },
      allow(null, 'default', '93.184.215.14'),
    ],
    [
      'a blocked IP literal is not saved by public addresses',
      {},
      { host: '10.0.0.1', port: 443, addresses: ['93.184.215.14'] },
      deny('10.0.0.0/8', 'cidr-rule'),
    ],
    [
      'localhost ignores addresses: it is always loopback',
      { allowHosts: ['localhost:8080'] },
      { host: 'host.docker.internal', port: 8080, addresses: ['192.0.2.1'] },
      allow('localhost:8080', 'host-rule', '127.0.0.1'),
    ],
    [
      'every address blocked: the first blocking CIDR is the rule',
      {},
      { host: 'example.com', port: 443, addresses: ['192.168.1.1', '10.0.0.1'] },
      deny('192.168.0.0/16', 'cidr-rule'),
    ],
  ])('%s', (_name, config, request, expected) => {
    expect(compilePolicy(config).check(request)).toEqual(expected);
  });
});

describe('host rules', () => {
  it.each<Case>([
    [
      'exact host, any port',
      { policy: 'deny', allowHosts: ['example.com'] },
      { host: 'example.com', port: 8443, addresses: PUBLIC },
      allow('example.com', 'host-rule', '93.184.215.14'),
    ],
    [
      'exact host+port matches that port',
      { policy: 'deny', allowHosts: ['example.com:443'] },
      { host: 'example.com', port: 443, addresses: PUBLIC },
      allow('example.com:443', 'host-rule', '93.184.215.14'),
    ],
    [
      'exact host+port does not match another port',
      { policy: 'deny', allowHosts: ['example.com:443'] },
      { host: 'example.com', port: 80, addresses: PUBLIC },
      deny(null, 'default'),
    ],
    [
      'a wildcard matches a subdomain',
      { policy: 'deny', allowHosts: ['*.example.com'] },
      { host: 'api.example.com', port: 443, addresses: PUBLIC },
      allow('*.example.com', 'host-rule', '93.184.215.14'),
    ],
    [
      'a wildcard matches deeper subdomains',
      { policy: 'deny', allowHosts: ['*.example.com'] },
      { host: 'a.b.example.com', port: 443, addresses: PUBLIC },
      allow('*.example.com', 'host-rule', '93.184.215.14'),
    ],
    [
      '*.example.com does not match the root domain',
      { policy: 'deny', allowHosts: ['*.example.com'] },
      { host: 'example.com', port: 443, addresses: PUBLIC },
      deny(null, 'default'),
    ],
    [
      'a wildcard does not match a look-alike suffix',
      { policy: 'deny', allowHosts: ['*.example.com'] },
      { host: 'badexample.com', port: 443, addresses: PUBLIC },
      deny(null, 'default'),
    ],
    [
      'a wildcard with port matches only that port',
      { policy: 'deny', allowHosts: ['*.example.com:443'] },
      { host: 'api.example.com', port: 80, addresses: PUBLIC },
      deny(null, 'default'),
    ],
    [
      '*:443 matches any host on 443',
      { policy: 'deny', allowHosts: ['*:443'] },
      { host: 'anything.org', port: 443, addresses: PUBLIC },
      allow('*:443', 'host-rule', '93.184.215.14'),
    ],
    [
      '*:443 does not match port 80',
      { policy: 'deny', allowHosts: ['*:443'] },
      { host: 'anything.org', port: 80, addresses: PUBLIC },
      deny(null, 'default'),
    ],
    [
      '* matches any host and port',
      { policy: 'deny', allowHosts: ['*'] },
      { host: 'anything.org', port: 22, addresses: PUBLIC },
      allow('*', 'host-rule', '93.184.215.14'),
    ],
    [
      'block a host in allow mode',
      { blockHosts: ['example.com'] },
      { host: 'example.com', port: 443, addresses: PUBLIC },
      deny('example.com', 'host-rule'),
    ],
    [
      'a block rule applies whatever the addresses',
      { blockHosts: ['example.com'] },
      { host: 'example.com', port: 443, addresses: [] },
      deny('example.com', 'host-rule'),
    ],
  ])('%s', (_name, config, request, expected) => {
    expect(compilePolicy(config).check(request)).toEqual(expected);
  });
});

describe('specificity: most specific wins, block wins ties', () => {
  const p: PolicyConfig = {
    policy: 'deny',
    allowHosts: ['api.example.com:443', '*.svc.example.com', '*:443', 'exact.org'],
    blockHosts: ['*.example.com', 'api.example.com', '*.svc.example.com:8443', '*', 'exact.org'],
  };
  it.each<[string, CheckRequest, Decision]>([
    [
      'exact host+port beats exact host',
      { host: 'api.example.com', port: 443, addresses: PUBLIC },
      allow('api.example.com:443', 'host-rule', '93.184.215.14'),
    ],
    [
      'exact host beats wildcard',
      { host: 'api.example.com', port: 80, addresses: PUBLIC },
      deny('api.example.com', 'host-rule'),
    ],
    [
      'block wide, allow narrow: longer wildcard suffix wins',
      { host: 'x.svc.example.com', port: 443, addresses: PUBLIC },
      allow('*.svc.example.com', 'host-rule', '93.184.215.14'),
    ],
    [
      'at the same suffix, the port wildcard wins',
      { host: 'x.svc.example.com', port: 8443, addresses: PUBLIC },
      deny('*.svc.example.com:8443', 'host-rule'),
    ],
    [
      'a shorter wildcard beats a catch-all',
      { host: 'www.example.com', port: 443, addresses: PUBLIC },
      deny('*.example.com', 'host-rule'),
    ],
    [
      '*:443 beats *',
      { host: 'other.org', port: 443, addresses: PUBLIC },
      allow('*:443', 'host-rule', '93.184.215.14'),
    ],
    [
      '* applies last among the rules',
      { host: 'other.org', port: 80, addresses: PUBLIC },
      deny('*', 'host-rule'),
    ],
    [
      'same pattern in both lists: block wins',
      { host: 'exact.org', port: 80, addresses: PUBLIC },
      deny('exact.org', 'host-rule'),
    ],
  ])('%s', (_name, request, expected) => {
    expect(compilePolicy(p).check(request)).toEqual(expected);
  });
});

describe('explicit allows skip the CIDR stage; catch-alls do not', () => {
  it.each<Case>([
    [
      'localhost:PORT reaches a service on the host',
      { allowHosts: ['localhost:1234'] },
      { host: 'localhost', port: 1234 },
      allow('localhost:1234', 'host-rule', '127.0.0.1'),
    ],
    [
      'localhost:PORT does not open other ports',
      { allowHosts: ['localhost:1234'] },
      { host: 'localhost', port: 22 },
      deny('127.0.0.0/8', 'cidr-rule'),
    ],
    [
      'a bare localhost opens every port',
      { allowHosts: ['localhost'] },
      { host: 'localhost', port: 22 },
      allow('localhost', 'host-rule', '127.0.0.1'),
    ],
    [
      'host.docker.internal is localhost',
      { allowHosts: ['localhost:1234'] },
      { host: 'host.docker.internal', port: 1234 },
      allow('localhost:1234', 'host-rule', '127.0.0.1'),
    ],
    [
      'an allow rule for host.docker.internal is one for localhost',
      { allowHosts: ['host.docker.internal:1234'] },
      { host: 'localhost', port: 1234 },
      allow('localhost:1234', 'host-rule', '127.0.0.1'),
    ],
    [
      'an explicitly allowed name resolving to a private address',
      { allowHosts: ['db.internal'] },
      { host: 'db.internal', port: 5432, addresses: ['10.1.2.3'] },
      allow('db.internal', 'host-rule', '10.1.2.3'),
    ],
    [
      'an explicitly allowed wildcard skips the CIDR stage too',
      { allowHosts: ['*.corp.example'] },
      { host: 'git.corp.example', port: 443, addresses: ['192.168.0.10'] },
      allow('*.corp.example', 'host-rule', '192.168.0.10'),
    ],
    [
      'an explicitly allowed name without addresses is allowed without an address',
      { allowHosts: ['example.com'] },
      { host: 'example.com', port: 443, addresses: [] },
      allow('example.com', 'host-rule'),
    ],
    [
      'an IP literal rule allows that IP',
      { allowHosts: ['192.168.1.10:8080'] },
      { host: '192.168.1.10', port: 8080 },
      allow('192.168.1.10:8080', 'host-rule', '192.168.1.10'),
    ],
    [
      '--allow-host * never opens the private ranges',
      { policy: 'deny', allowHosts: ['*'] },
      { host: 'router', port: 80, addresses: ['192.168.0.1'] },
      deny('192.168.0.0/16', 'cidr-rule'),
    ],
    [
      '*:PORT never opens the private ranges',
      { policy: 'deny', allowHosts: ['*:80'] },
      { host: '127.0.0.1', port: 80 },
      deny('127.0.0.0/8', 'cidr-rule'),
    ],
  ])('%s', (_name, config, request, expected) => {
    expect(compilePolicy(config).check(request)).toEqual(expected);
  });
});

describe('CIDR rules', () => {
  it.each<Case>([
    [
      '--allow-cidr 10.0.0.0/8 lifts the default block',
      { allowCidrs: ['10.0.0.0/8'] },
      { host: 'intranet', port: 80, addresses: ['10.9.9.9'] },
      allow('10.0.0.0/8', 'cidr-rule', '10.9.9.9'),
    ],
    [
      'a narrower allowed CIDR carves a hole',
      { allowCidrs: ['10.1.0.0/16'] },
      { host: 'intranet', port: 80, addresses: ['10.1.2.3'] },
      allow('10.1.0.0/16', 'cidr-rule', '10.1.2.3'),
    ],
    [
      'outside the hole the block stands',
      { allowCidrs: ['10.1.0.0/16'] },
      { host: 'intranet', port: 80, addresses: ['10.2.0.1'] },
      deny('10.0.0.0/8', 'cidr-rule'),
    ],
    [
      'a more specific block inside an allowed range wins',
      { allowCidrs: ['10.0.0.0/8'], blockCidrs: ['10.5.0.0/16'] },
      { host: 'intranet', port: 80, addresses: ['10.5.0.1'] },
      deny('10.5.0.0/16', 'cidr-rule'),
    ],
    [
      'blockCidrs adds to the defaults',
      { blockCidrs: ['203.0.113.0/24'] },
      { host: 'example.net', port: 443, addresses: ['203.0.113.7'] },
      deny('203.0.113.0/24', 'cidr-rule'),
    ],
    [
      'an allowed CIDR never allows a host the host rules deny',
      { policy: 'deny', allowCidrs: ['0.0.0.0/0'] },
      { host: 'example.com', port: 443, addresses: PUBLIC },
      deny(null, 'default'),
    ],
    [
      'an allowed CIDR never overrides a block host rule',
      { blockHosts: ['example.com'], allowCidrs: ['93.184.0.0/16'] },
      { host: 'example.com', port: 443, addresses: PUBLIC },
      deny('example.com', 'host-rule'),
    ],
    [
      'an allowed CIDR that lifts nothing does not decide',
      { allowCidrs: ['93.184.0.0/16'] },
      { host: 'example.com', port: 443, addresses: PUBLIC },
      allow(null, 'default', '93.184.215.14'),
    ],
    [
      'an IPv6 allowed CIDR carves ULA space',
      { allowCidrs: ['fd00:1::/32'] },
      { host: 'v6.internal', port: 443, addresses: ['fd00:1::5'] },
      allow('fd00:1::/32', 'cidr-rule', 'fd00:1::5'),
    ],
    [
      'IPv6 addresses are dialled in canonical form',
      {},
      { host: 'example.com', port: 443, addresses: ['2606:2800:0220:0001:0248:1893:25C8:1946'] },
      allow(null, 'default', '2606:2800:220:1:248:1893:25c8:1946'),
    ],
  ])('%s', (_name, config, request, expected) => {
    expect(compilePolicy(config).check(request)).toEqual(expected);
  });
});

describe('bypass rules choose the tunnel only', () => {
  it.each<Case>([
    [
      'a bypass host tunnels',
      { bypassHosts: ['*.pinned.example'] },
      { host: 'api.pinned.example', port: 443, addresses: PUBLIC },
      bypass(null, 'default', '93.184.215.14'),
    ],
    [
      'a bypass CIDR tunnels',
      { bypassCidrs: ['93.184.215.0/24'] },
      { host: 'example.com', port: 443, addresses: PUBLIC },
      bypass(null, 'default', '93.184.215.14'),
    ],
    [
      'the bypass CIDR is checked on the chosen address',
      { bypassCidrs: ['1.1.1.0/24'] },
      { host: 'example.com', port: 443, addresses: ['10.0.0.1', '93.184.215.14', '1.1.1.1'] },
      allow(null, 'default', '93.184.215.14'),
    ],
    [
      'a bypass host never allows what deny mode denies',
      { policy: 'deny', bypassHosts: ['example.com'] },
      { host: 'example.com', port: 443, addresses: PUBLIC },
      deny(null, 'default'),
    ],
    [
      'a bypass host never allows a blocked host',
      { blockHosts: ['example.com'], bypassHosts: ['example.com'] },
      { host: 'example.com', port: 443, addresses: PUBLIC },
      deny('example.com', 'host-rule'),
    ],
    [
      'a bypass CIDR never lifts a CIDR block',
      { bypassCidrs: ['10.0.0.0/8'] },
      { host: 'intranet', port: 443, addresses: ['10.0.0.1'] },
      deny('10.0.0.0/8', 'cidr-rule'),
    ],
    [
      'explicit allows are bypassed by their first address',
      { allowHosts: ['localhost:9000'], bypassCidrs: ['127.0.0.0/8'] },
      { host: 'localhost', port: 9000 },
      bypass('localhost:9000', 'host-rule', '127.0.0.1'),
    ],
  ])('%s', (_name, config, request, expected) => {
    expect(compilePolicy(config).check(request)).toEqual(expected);
  });
});

describe('examples from the Docker Sandboxes documentation', () => {
  // The documented default policy: allow mode, the default blocked CIDRs, two allowed hosts.
  const defaults: PolicyConfig = { allowHosts: ['*.anthropic.com', 'platform.claude.com:443'] };
  it.each<Case>([
    [
      'the default policy reaches the Claude API',
      defaults,
      { host: 'api.anthropic.com', port: 443, addresses: ['160.79.104.10'] },
      allow('*.anthropic.com', 'host-rule', '160.79.104.10'),
    ],
    [
      'platform.claude.com is allowed on 443',
      defaults,
      { host: 'platform.claude.com', port: 443, addresses: ['160.79.104.10'] },
      allow('platform.claude.com:443', 'host-rule', '160.79.104.10'),
    ],
    [
      'localhost is allowed by the mode but blocked by the CIDR check',
      defaults,
      { host: 'localhost', port: 8080 },
      deny('127.0.0.0/8', 'cidr-rule'),
    ],
    [
      'cloud metadata is blocked',
      defaults,
      { host: '169.254.169.254', port: 80 },
      deny('169.254.0.0/16', 'cidr-rule'),
    ],
    [
      '--block-host example.com',
      { blockHosts: ['example.com', 'malicious.site'] },
      { host: 'malicious.site', port: 443, addresses: PUBLIC },
      deny('malicious.site', 'host-rule'),
    ],
    [
      '--block-cidr 192.168.1.0/24 (already inside a default block)',
      { blockCidrs: ['192.168.1.0/24'] },
      { host: 'nas', port: 443, addresses: ['192.168.1.20'] },
      deny('192.168.1.0/24', 'cidr-rule'),
    ],
    [
      '--allow-host localhost:1234 reaches a host service',
      { allowHosts: ['localhost:1234'] },
      { host: 'host.docker.internal', port: 1234 },
      allow('localhost:1234', 'host-rule', '127.0.0.1'),
    ],
    [
      'block *.example.com, allow api.example.com:443: the API port is open',
      { blockHosts: ['*.example.com'], allowHosts: ['api.example.com:443'] },
      { host: 'api.example.com', port: 443, addresses: PUBLIC },
      allow('api.example.com:443', 'host-rule', '93.184.215.14'),
    ],
    [
      'block *.example.com, allow api.example.com:443: other ports stay blocked',
      { blockHosts: ['*.example.com'], allowHosts: ['api.example.com:443'] },
      { host: 'api.example.com', port: 80, addresses: PUBLIC },
      deny('*.example.com', 'host-rule'),
    ],
    [
      'block *.example.com, allow api.example.com:443: other subdomains stay blocked',
      { blockHosts: ['*.example.com'], allowHosts: ['api.example.com:443'] },
      { host: 'www.example.com', port: 443, addresses: PUBLIC },
      deny('*.example.com', 'host-rule'),
    ],
  ])('%s', (_name, config, request, expected) => {
    expect(compilePolicy(config).check(request)).toEqual(expected);
  });
});
