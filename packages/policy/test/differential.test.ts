import { describe, expect, it } from 'vitest';
import { linearPolicy } from '../bench/linear.ts';
import { prng } from '../bench/workload.ts';
import type { CheckRequest, PolicyConfig } from '../src/index.ts';
import { compilePolicy } from '../src/index.ts';

// Random policies over a small universe of names and addresses, so that rules overlap, tie and
// shadow each other; the compiled engine must decide exactly like the linear reference.
const NAMES = [
  'example.com',
  'api.example.com',
  'a.b.example.com',
  'example.org',
  'localhost',
  'x.io',
];
const PATTERNS = [
  '*',
  '*:443',
  '*:80',
  'example.com',
  'example.com:443',
  '*.example.com',
  '*.example.com:443',
  '*.b.example.com',
  'api.example.com:443',
  'api.example.com',
  '*.com',
  'localhost',
  'localhost:8080',
  'example.org:80',
  '127.0.0.1',
  '10.1.2.3:443',
  '[::1]:8080',
  'x.io',
];
const CIDRS = [
  '10.0.0.0/8',
  '10.1.0.0/16',
  '10.1.2.0/24',
  '10.1.2.3/32',
  '127.0.0.0/8',
  '0.0.0.0/0',
  '1.2.3.0/24',
  '93.184.0.0/16',
  'fc00::/7',
  'fd00::/8',
  '::1/128',
  '2002::/16',
  '64:ff9b::/96',
  '::/0',
  '2606::/16',
];
const ADDRESSES = [
  '10.1.2.3',
  '10.2.0.1',
  '127.0.0.1',
  '1.2.3.4',
  '93.184.215.14',
  '192.168.0.1',
  '::1',
  'fd00::1',
  'fc01::1',
  '2606:2800::1',
  '::ffff:10.1.2.3',
  '2002:a01:203::',
  '64:ff9b::102:304',
  '::7f00:1',
  '169.254.1.1',
  '::',
];
const HOSTS = [
  ...NAMES,
  '127.0.0.1',
  '0x7f.1',
  '10.1.2.3',
  '[::1]',
  '[2002:7f00:1::]',
  'API.Example.COM.',
];

function pick<T>(rnd: () => number, list: readonly T[], max: number): T[] {
  const n = Math.floor(rnd() * (max + 1));
  return Array.from({ length: n }, () => list[Math.floor(rnd() * list.length)]!);
}

describe('the compiled policy decides like a linear scan over the rules', () => {
  it('on 300 random policies x 40 requests', () => {
    const rnd = prng(42);
    let checked = 0;
    for (let p = 0; p < 300; p++) {
      const config: PolicyConfig = {
        policy: rnd() < 0.5 ? 'allow' : 'deny',
        allowHosts: pick(rnd, PATTERNS, 4),
        blockHosts: pick(rnd, PATTERNS, 3),
        allowCidrs: pick(rnd, CIDRS, 3),
        blockCidrs: pick(rnd, CIDRS, 2),
        bypassHosts: pick(rnd, PATTERNS, 1),
        bypassCidrs: pick(rnd, CIDRS, 1),
      };
      const fast = compilePolicy(config);
      const slow = linearPolicy(config);
      for (let r = 0; r < 40; r++) {
        const request: CheckRequest = {
          host: HOSTS[Math.floor(rnd() * HOSTS.length)]!,
          port: [80, 443, 8080][Math.floor(rnd() * 3)]!,
          addresses: pick(rnd, ADDRESSES, 3),
        };
        expect({ config, request, decision: fast.check(request) }).toEqual({
          config,
          request,
          decision: slow.check(request),
        });
        checked++;
      }
    }
    expect(checked).toBe(12_000);
  });

  it('with 1,500 CIDRs, enough to switch on the IPv4 jump table', () => {
    const rnd = prng(7);
    const octet = () => Math.floor(rnd() * 256);
    const cidr = () => {
      const len = [8, 12, 16, 20, 24, 28, 32][Math.floor(rnd() * 7)]!;
      const addr =
        ((octet() << 24) | (octet() << 16) | (octet() << 8) | octet()) & (-1 << (32 - len));
      const a = addr >>> 0;
      return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${len}`;
    };
    const list = (n: number) => Array.from({ length: n }, cidr);
    const config: PolicyConfig = {
      allowHosts: ['*'],
      allowCidrs: [...list(500), '10.0.0.0/9'],
      blockCidrs: list(700),
      bypassCidrs: list(300),
    };
    const fast = compilePolicy(config);
    const slow = linearPolicy(config);
    const all = [...config.allowCidrs!, ...config.blockCidrs!, ...config.bypassCidrs!];
    for (let r = 0; r < 1500; r++) {
      // Addresses inside the stored CIDRs (their network address plus a little), and anywhere.
      const base = all[Math.floor(rnd() * all.length)]!.split('/')[0]!.split('.').map(Number);
      const near = [base[0], base[1], base[2], (base[3]! + Math.floor(rnd() * 4)) % 256].join('.');
      const anywhere = [octet(), octet(), octet(), octet()].join('.');
      const request: CheckRequest = { host: 'example.com', port: 443, addresses: [near, anywhere] };
      expect({ request, decision: fast.check(request) }).toEqual({
        request,
        decision: slow.check(request),
      });
    }
  });
});
