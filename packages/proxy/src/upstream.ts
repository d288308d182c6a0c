import { isIP, connect as netConnect, type OnReadOpts, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import {
  type ConnectionOptions,
  createSecureContext,
  rootCertificates,
  type SecureContext,
  connect as tlsConnect,
} from 'node:tls';
import { sweepEvery } from './activity.ts';
import type { Fields } from './fields.ts';
import { Lru } from './lru.ts';
import { Connection, Exchange, KEEP_ALIVE_MS } from './upstream-exchange.ts';

export interface UpstreamOptions {
  upstreamCa?: readonly string[];
  maxOrigins: number;
  idleTimeoutMs: number;
}

/** Where a request goes: the pinned address, the port, and the name TLS verifies. */
export interface Origin {
  secure: boolean;
  address: string;
  port: number;
  name: string;
}

export interface UpstreamRequest {
  method: string;
  /** The whole head, request line to blank line (`upstreamHead` in headers.ts). */
  head: Buffer;
  /** null: none; a stream: sent as it arrives. */
  body: Readable | null;
  /** Frame the body as chunked (the client's own framing was chunked; the head says so). */
  chunked: boolean;
}

/** One request's way back; no method is called after `onResponseEnd` or `onResponseError`. */
export interface UpstreamHandler {
  /** Bytes of a streamed request body sent on. */
  onRequestData(bytes: number): void;
  /**
   * `fields`: the response head's header fields, valid during the call only (like body
   * bytes). `chunked`: the body comes chunked, and `onResponseRaw` has it as framed.
   */
  onResponseStart(status: number, reason: string, fields: Fields, chunked: boolean): void;
  /**
   * A piece of the decoded body. false: no more data until `resume()` (backpressure). Body
   * bytes are views of the connection's read buffer, valid during the call only: a handler
   * that keeps them (a write that may be pending) keeps a copy.
   */
  onResponseData(chunk: Buffer): boolean;
  /** The same body bytes as they came, framing included (see `ResponseSink.raw`); as above. */
  onResponseRaw(bytes: Buffer): boolean;
  /** The upstream read behind the calls just made is done: nothing more of it comes now. */
  onReadEnd(): void;
  onResponseEnd(): void;
  onResponseError(error: Error): void;
}

export interface UpstreamExchange {
  /** Drops the exchange (the client went away): the connection is closed, no handler call follows. */
  abort(): void;
  resume(): void;
}

const CONNECT_TIMEOUT_MS = 10_000;
const MAX_IDLE_PER_ORIGIN = 64;
const SWEEP_MS = 1_000;

/**
 * Keep-alive HTTP/1.1 connections to upstream origins, keyed by (scheme, pinned address, port,
 * TLS name): the socket always goes to the address the policy approved, the certificate is
 * checked against the name asked for. One request at a time per connection; idle ones are
 * kept a few seconds, at most `maxOrigins` origins (the least recently used one's closed).
 *
 * sbx's own client rather than undici's: an intercepted request on a kept-alive connection
 * costs the proxy a quarter to a third less CPU this way at 1 concurrent, a tenth to a quarter
 * at 32 (see the README's benchmark section).
 */
export class Upstreams {
  readonly #idle: Lru<string, Connection[]>;
  readonly #all = new Set<Connection>();
  /** Connections dialled ahead of a request, not yet taken (one per origin). */
  readonly #connecting = new Map<string, Connection>();
  readonly #maxEarly: number;
  /** The last TLS session ticket per origin, for resumption when a new connection is needed. */
  readonly #sessions: Lru<string, Buffer>;
  readonly #secureContext: SecureContext | undefined;
  readonly #idleTimeoutMs: number;
  /**
   * Closes idle connections past their keep-alive time and connections on which nothing
   * moved for `idleTimeoutMs`; runs only while there are connections.
   */
  #sweeper: NodeJS.Timeout | undefined;
  readonly #sweepMs: number;
  #idleCount = 0;
  #closed = false;

  constructor(options: UpstreamOptions) {
    this.#idleTimeoutMs = options.idleTimeoutMs;
    // A connection is closed at most a quarter of the idle timeout (or 1 s) late.
    this.#sweepMs = sweepEvery(options.idleTimeoutMs, SWEEP_MS);
    this.#idle = new Lru(options.maxOrigins, (_key, connections) => {
      this.#idleCount -= connections.length;
      for (const c of connections.splice(0)) c.socket.destroy();
    });
    this.#sessions = new Lru(options.maxOrigins);
    this.#maxEarly = options.maxOrigins;
    this.#secureContext = options.upstreamCa?.length
      ? createSecureContext({ ca: [...rootCertificates, ...options.upstreamCa] })
      : undefined;
  }

  /**
   * A new connection to `origin`: TCP, or TLS with SNI and certificate checks for its name
   * (none for an IP address, which SNI cannot carry: the certificate must then name the IP).
   * Connecting has 10 s; the socket emits 'ready' when it can carry a request. `onread`: the
   * socket reads into the caller's buffer and calls it back (no 'data' events).
   */
  dial(origin: Origin, onread?: OnReadOpts): Socket {
    const { secure, address, port, name } = origin;
    const key = keyOf(origin);
    const session = secure ? this.#sessions.get(key) : undefined;
    // tls.connect takes `onread` as net.connect does (Node 15+), @types/node does not say so.
    const tlsOptions: ConnectionOptions & { onread?: OnReadOpts } = {
      host: address,
      port,
      servername: isIP(name) ? undefined : name,
      ...(this.#secureContext ? { secureContext: this.#secureContext } : {}),
      ...(session ? { session } : {}),
      ALPNProtocols: ['http/1.1'],
      onread,
    };
    const socket = secure ? tlsConnect(tlsOptions) : netConnect({ host: address, port, onread });
    // The next connection to the same origin resumes this TLS session (the certificate was
    // checked for the same name at the same address when the session began).
    if (secure) socket.on('session', (ticket: Buffer) => this.#sessions.set(key, ticket));
    socket.setNoDelay(true);
    const timedOut = () =>
      socket.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' }));
    socket.setTimeout(CONNECT_TIMEOUT_MS);
    socket.once('timeout', timedOut);
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      socket.off('timeout', timedOut);
      socket.setTimeout(0);
      socket.emit('ready');
    });
    return socket;
  }

  /** Sends `request` to `origin` on an idle connection or a new one; the response goes to `handler`. */
  request(origin: Origin, request: UpstreamRequest, handler: UpstreamHandler): UpstreamExchange {
    const exchange = new Exchange(this, origin, request, handler);
    if (this.#closed) {
      handler.onResponseError(new Error('the proxy is closing'));
      return exchange;
    }
    exchange.run(this.take(origin), true);
    return exchange;
  }

  /** An idle connection to `origin` (most recently used first), else a new one. */
  take(origin: Origin, fresh = false): Connection {
    const key = keyOf(origin);
    const early = fresh ? undefined : this.#connecting.get(key);
    if (early) {
      this.#connecting.delete(key);
      return early;
    }
    const idle = fresh ? undefined : this.#idle.get(key);
    if (idle?.length) {
      const now = performance.now();
      for (let reused = idle.pop(); reused; reused = idle.pop()) {
        this.#idleCount--;
        if (reused.idleUntil > now) return reused;
        reused.socket.destroy();
      }
    }
    return this.#added(new Connection(this, key, origin));
  }

  #added(connection: Connection): Connection {
    this.#all.add(connection);
    this.#sweeper ??= setInterval(() => this.#sweep(), this.#sweepMs).unref();
    return connection;
  }

  /**
   * Dials `origin` ahead of a request (a client inside a mitm tunnel is still in its TLS
   * handshake): the upstream's TCP and TLS handshakes overlap the client's. Nothing is sent;
   * the connection waits, like an idle one, for the tunnel's first request. Skipped when the
   * origin has an idle or early connection already.
   */
  preconnect(origin: Origin): void {
    const key = keyOf(origin);
    if (this.#closed || this.#connecting.has(key) || this.#idle.get(key)?.length) return;
    if (this.#connecting.size >= this.#maxEarly) return;
    const connection = this.#added(new Connection(this, key, origin));
    this.#connecting.set(key, connection);
  }

  /** An early connection became ready before a request took it: it waits as an idle one. */
  parked(connection: Connection): void {
    if (this.#connecting.get(connection.key) !== connection) return;
    this.#connecting.delete(connection.key);
    this.release(connection, KEEP_ALIVE_MS);
  }

  /** A connection done with its exchange: kept for the next request to its origin, or closed. */
  release(connection: Connection, keepAliveMs: number): void {
    if (this.#closed || connection.socket.destroyed) return void connection.socket.destroy();
    let idle = this.#idle.get(connection.key);
    if (!idle) {
      idle = [];
      this.#idle.set(connection.key, idle);
    }
    if (idle.length >= MAX_IDLE_PER_ORIGIN) return void connection.socket.destroy();
    idle.push(connection);
    this.#idleCount++;
    connection.reused = true;
    // No timer per connection: a time stamp checked on take and by the sweeper.
    connection.idleUntil = performance.now() + keepAliveMs;
  }

  #sweep(): void {
    const now = performance.now();
    for (const idle of this.#idle.values()) {
      for (const connection of [...idle]) {
        if (connection.idleUntil <= now) connection.socket.destroy();
      }
    }
    for (const connection of this.#all) connection.sweep(now, this.#idleTimeoutMs);
    if (this.#all.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }

  /** Forgets a closed connection. */
  forget(connection: Connection): void {
    this.#all.delete(connection);
    if (this.#connecting.get(connection.key) === connection)
      this.#connecting.delete(connection.key);
    // A closed connection is no use of its origin: its place among the idle pools stays.
    const idle = this.#idle.peek(connection.key);
    const at = idle?.indexOf(connection) ?? -1;
    if (at >= 0) {
      idle!.splice(at, 1);
      this.#idleCount--;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    for (const c of this.#all) c.socket.destroy();
    this.#all.clear();
    this.#idle.clear();
    this.#connecting.clear();
    this.#sessions.clear();
  }
}

function keyOf({ secure, address, port, name }: Origin): string {
  return `${secure ? 's' : 'p'}|${address}|${port}|${name}`;
}
