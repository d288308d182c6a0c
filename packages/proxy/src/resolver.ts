import { lookup } from 'node:dns/promises';
import { Lru } from './lru.ts';
import type { Resolver } from './types.ts';

/**
 * The system resolver (getaddrinfo: A and AAAA, /etc/hosts) with a short, bounded cache.
 * Caching cannot open a rebinding hole: the proxy dials the address it checked, whatever
 * a later lookup says.
 */
export function systemResolver(options: { ttlMs?: number; max?: number } = {}): Resolver {
  const ttl = options.ttlMs ?? 5_000;
  const cache = new Lru<string, { at: number; addresses: Promise<string[]> }>(options.max ?? 1000);
  return (host) => {
    const now = Date.now();
    const hit = cache.get(host);
    if (hit && now - hit.at < ttl) return hit.addresses;
    const addresses = lookup(host, { all: true, verbatim: true }).then(
      (list) => list.map((entry) => entry.address),
      () => {
        cache.delete(host);
        return [];
      },
    );
    cache.set(host, { at: now, addresses });
    return addresses;
  };
}
