// A realistic rule mix and request stream for the bench and the differential test.
import type { CheckRequest, PolicyConfig } from '../src/index.ts';

/** mulberry32: a small seeded PRNG so every run sees the same workload. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` rules: exact names, name:port, wildcards (with and without port), blocked names, CIDRs. */
export function ruleMix(n: number): PolicyConfig {
  const c = { policy: 'allow', allowHosts: [], blockHosts: [], allowCidrs: [], blockCidrs: [] } as {
    policy: 'allow';
    allowHosts: string[];
    blockHosts: string[];
    allowCidrs: string[];
    blockCidrs: string[];
  };
  for (let i = 0; i < n; i++) {
    switch (i % 10) {
      case 0:
      case 1:
      case 2:
        c.allowHosts.push(`svc${i}.team${i % 97}.example.com`);
        break;
      case 3:
        c.allowHosts.push(`api${i}.vendor${i % 89}.io:443`);
        break;
      case 4:
        c.allowHosts.push(`*.zone${i}.cdn${i % 53}.net`);
        break;
      case 5:
        c.allowHosts.push(`*.zone${i}.cdn${i % 53}.net:443`);
        break;
      case 6:
        c.blockHosts.push(`ads${i}.tracker${i % 31}.com`);
        break;
      case 7:
        c.blockHosts.push(`*.ads${i}.tracker${i % 31}.com`);
        break;
      case 8:
        c.blockCidrs.push(`${45 + ((i >> 16) & 15)}.${(i >> 8) & 255}.${i & 255}.0/24`);
        break;
      default:
        c.allowCidrs.push(`10.${(i >> 8) & 255}.${i & 255}.0/24`);
    }
  }
  return c;
}

/** `count` requests against `ruleMix(n)`: hits of every rule kind, misses, IP literals, odd spellings. */
export function requests(n: number, count: number, seed = 1): CheckRequest[] {
  const rnd = prng(seed);
  const pick = (k: number) => Math.floor(rnd() * k);
  const i = (rest: number) => {
    const j = pick(Math.max(1, Math.floor(n / 10))) * 10 + rest;
    return j < n ? j : rest;
  };
  const pub = () => `93.184.${pick(256)}.${1 + pick(254)}`;
  const out: CheckRequest[] = [];
  for (let k = 0; k < count; k++) {
    const port = rnd() < 0.8 ? 443 : 80;
    switch (k % 12) {
      case 0:
      case 1: {
        const j = i(pick(3));
        out.push({ host: `svc${j}.team${j % 97}.example.com`, port, addresses: [pub()] });
        break;
      }
      case 2: {
        const j = i(3);
        out.push({ host: `api${j}.vendor${j % 89}.io`, port, addresses: [pub()] });
        break;
      }
      case 3: {
        const j = i(4 + pick(2));
        out.push({ host: `w${pick(9)}.zone${j}.cdn${j % 53}.net`, port, addresses: [pub()] });
        break;
      }
      case 4: {
        const j = i(7);
        out.push({ host: `x.ads${j}.tracker${j % 31}.com`, port, addresses: [pub()] });
        break;
      }
      case 5:
      case 6:
        out.push({ host: `unknown${pick(1e6)}.example.org`, port, addresses: [pub()] });
        break;
      case 7:
        out.push({
          host: `v6-${pick(1e6)}.example.org`,
          port,
          addresses: [`2606:2800:220:1:248:1893:25c8:${pick(65536).toString(16)}`],
        });
        break;
      case 8: {
        const j = i(8);
        out.push({
          host: `${45 + ((j >> 16) & 15)}.${(j >> 8) & 255}.${j & 255}.${pick(256)}`,
          port,
        });
        break;
      }
      case 9: {
        const j = i(9);
        out.push({
          host: `internal${pick(99)}.corp`,
          port,
          addresses: [`10.${(j >> 8) & 255}.${j & 255}.${pick(256)}`],
        });
        break;
      }
      case 10: {
        const j = i(0);
        out.push({ host: `SVC${j}.Team${j % 97}.Example.COM.`, port, addresses: [pub()] });
        break;
      }
      default:
        out.push({ host: 'localhost', port: 3000 + pick(3) });
    }
  }
  return out;
}
