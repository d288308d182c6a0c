import { isIP, type Socket } from 'node:net';
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
  readonly #spares = new Set<Socket>();
  #closed = false;

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
    return this.#pools.get(key) ?? this.#create(key, secure, address, port, name, false);
  }

  /**
   * Dials the first connection of an origin that has no pool yet, before its first request:
   * for a newly intercepted host the upstream handshake then overlaps the client's. Only for
   * an address the policy already allowed at CONNECT; no request byte leaves before its check.
   */
  warm(secure: boolean, address: string, port: number, name: string): void {
    const key = `${secure ? 's' : 'p'}|${address}|${port}|${name}`;
    if (!this.#pools.get(key)) this.#create(key, secure, address, port, name, true);
  }

  #create(
    key: string,
    secure: boolean,
    address: string,
    port: number,
    name: string,
    warm: boolean,
  ): Pool {
    const servername = isIP(name) ? undefined : name;
    const connector = buildConnector({
      timeout: 10_000,
      ...(this.#secureContext ? { secureContext: this.#secureContext } : {}),
    } as buildConnector.BuildOptions);
    const host = isIP(address) === 6 ? `[${address}]` : address;
    const origin = `${secure ? 'https' : 'http'}://${host}:${port}`;
    const dial = (opts: buildConnector.Options, callback: buildConnector.Callback) =>
      connector({ ...opts, hostname: address, servername: servername ?? '' }, callback);
    let spare = warm
      ? this.#spare((callback) =>
          dial(
            {
              hostname: address,
              host: `${host}:${port}`,
              protocol: `${secure ? 'https' : 'http'}:`,
              port: String(port),
            } as buildConnector.Options,
            callback,
          ),
        )
      : undefined;
    const pool = new Pool(origin, {
      connections: null,
      pipelining: 1,
      keepAliveTimeout: 4_000,
      headersTimeout: this.#options.idleTimeoutMs,
      bodyTimeout: this.#options.idleTimeoutMs,
      maxHeaderSize: 65_536,
      connect: (opts, callback) => {
        const taken = spare;
        spare = undefined;
        if (taken) taken(callback, () => dial(opts, callback));
        else dial(opts, callback);
      },
    });
    this.#pools.set(key, pool);
    return pool;
  }

  /**
   * A connection dialled ahead: handed to the pool's first connect (or, if it failed or was
   * closed meanwhile, that connect dials afresh); destroyed if unused for 10 s or on close.
   */
  #spare(
    open: (callback: buildConnector.Callback) => void,
  ): (callback: buildConnector.Callback, redial: () => void) => void {
    let settled = false;
    let socket: Socket | undefined;
    let waiting: (() => void) | undefined;
    open((_error, opened) => {
      settled = true;
      if (opened) {
        socket = opened;
        if (this.#closed) socket.destroy();
        this.#spares.add(socket);
        socket.once('close', () => this.#spares.delete(opened));
        socket.setTimeout(10_000, () => opened.destroy());
      }
      waiting?.();
    });
    return (callback, redial) => {
      const hand = () => {
        if (!socket || socket.destroyed || !socket.writable) {
          socket?.destroy();
          redial();
          return;
        }
        this.#spares.delete(socket);
        socket.setTimeout(0);
        callback(null, socket);
      };
      if (settled) hand();
      else waiting = hand;
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    for (const socket of this.#spares) socket.destroy();
    this.#spares.clear();
    await Promise.all(pools.map((pool) => pool.destroy().catch(() => {})));
  }
}
