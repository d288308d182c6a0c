import { isIP } from 'node:net';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { buildConnector, Pool } from 'undici';
import { Lru } from './lru.ts';

export interface UpstreamOptions {
  upstreamCa?: readonly string[];
  maxOrigins: number;
  idleTimeoutMs: number;
}

/**
 * undici pools keyed by (scheme, pinned address, port, TLS name): the socket always goes to
 * the address the policy approved, the certificate is checked against the name asked for.
 * Bounded: the least recently used origin's pool is closed when there are too many.
 */
export class Upstreams {
  readonly #pools: Lru<string, Pool>;
  readonly #secureContext: SecureContext | undefined;
  readonly #options: UpstreamOptions;

  constructor(options: UpstreamOptions) {
    this.#options = options;
    this.#pools = new Lru(options.maxOrigins, (_key, pool) => {
      pool.close().catch(() => {});
    });
    this.#secureContext = options.upstreamCa?.length
      ? createSecureContext({ ca: [...rootCertificates, ...options.upstreamCa] })
      : undefined;
  }

  /** The CA store upstream TLS is verified with (for raw TLS dials of WebSocket upgrades). */
  get secureContext(): SecureContext | undefined {
    return this.#secureContext;
  }

  pool(secure: boolean, address: string, port: number, name: string): Pool {
    const key = `${secure ? 's' : 'p'}|${address}|${port}|${name}`;
    let pool = this.#pools.get(key);
    if (pool) return pool;
    const servername = isIP(name) ? undefined : name;
    const connector = buildConnector({
      timeout: 10_000,
      ...(this.#secureContext ? { secureContext: this.#secureContext } : {}),
    } as buildConnector.BuildOptions);
    const host = isIP(address) === 6 ? `[${address}]` : address;
    pool = new Pool(`${secure ? 'https' : 'http'}://${host}:${port}`, {
      connections: null,
      pipelining: 1,
      keepAliveTimeout: 4_000,
      headersTimeout: this.#options.idleTimeoutMs,
      bodyTimeout: this.#options.idleTimeoutMs,
      maxHeaderSize: 65_536,
      connect: (opts, callback) =>
        connector({ ...opts, hostname: address, servername: servername ?? '' }, callback),
    });
    this.#pools.set(key, pool);
    return pool;
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((pool) => pool.destroy().catch(() => {})));
  }
}
