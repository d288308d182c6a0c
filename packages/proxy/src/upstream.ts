import { isIP, connect as netConnect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import {
  createSecureContext,
  rootCertificates,
  type SecureContext,
  connect as tlsConnect,
} from 'node:tls';
import { Lru } from './lru.ts';
import { ResponseError, ResponseParser } from './response-parser.ts';

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
  path: string;
  /** Flat [name, value, …], already end-to-end and validated (Host included). */
  headers: string[];
  /** null: none; a string: the whole body; a stream: sent as it arrives. */
  body: Readable | string | null;
  /** Frame a streamed body as chunked (the client's own framing was chunked). */
  chunked: boolean;
}

/** One request's way back; no method is called after `onResponseEnd` or `onResponseError`. */
export interface UpstreamHandler {
  /** Bytes of a streamed request body sent on. */
  onRequestData(bytes: number): void;
  onResponseStart(status: number, reason: string, headers: string[]): void;
  /** false: no more data until `resume()` (backpressure). */
  onResponseData(chunk: Buffer): boolean;
  onResponseEnd(): void;
  onResponseError(error: Error): void;
}

export interface UpstreamExchange {
  /** Drops the exchange (the client went away): the connection is closed, no handler call follows. */
  abort(): void;
  resume(): void;
}

const CONNECT_TIMEOUT_MS = 10_000;
/** How long an idle connection is kept (a server's `Keep-Alive: timeout` can shorten it). */
const KEEP_ALIVE_MS = 4_000;
const MAX_IDLE_PER_ORIGIN = 64;
const SWEEP_MS = 1_000;
/** Methods a request may be repeated with (RFC 9110 9.2.2): nothing happens twice. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** The request line and header block of an upstream request. */
export function requestHead(method: string, path: string, headers: readonly string[]): string {
  let text = `${method} ${path} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) text += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return `${text}\r\n`;
}

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
  /** Closes idle connections past their keep-alive time; runs only while there are some. */
  #sweeper: NodeJS.Timeout | undefined;
  #idleCount = 0;
  #closed = false;

  constructor(options: UpstreamOptions) {
    this.#idleTimeoutMs = options.idleTimeoutMs;
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
   * Connecting has 10 s; the socket emits 'ready' when it can carry a request.
   */
  dial(origin: Origin): Socket {
    const { secure, address, port, name } = origin;
    const key = keyOf(origin);
    const session = secure ? this.#sessions.get(key) : undefined;
    const socket = secure
      ? tlsConnect({
          host: address,
          port,
          servername: isIP(name) ? undefined : name,
          ...(this.#secureContext ? { secureContext: this.#secureContext } : {}),
          ...(session ? { session } : {}),
          ALPNProtocols: ['http/1.1'],
        })
      : netConnect({ host: address, port });
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
    const connection = new Connection(this, key, this.dial(origin));
    this.#all.add(connection);
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
    const connection = new Connection(this, key, this.dial(origin));
    this.#all.add(connection);
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
    // The socket's timeout stays the active one (idleTimeoutMs): re-arming a timer on every
    // take and release cost more than a time stamp checked on take and by the sweeper.
    connection.idleUntil = performance.now() + keepAliveMs;
    this.#sweeper ??= setInterval(() => this.#sweep(), SWEEP_MS).unref();
  }

  #sweep(): void {
    const now = performance.now();
    for (const idle of this.#idle.values()) {
      for (const connection of [...idle]) {
        if (connection.idleUntil <= now) connection.socket.destroy();
      }
    }
    if (this.#idleCount === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }

  /** Forgets a closed connection. */
  forget(connection: Connection): void {
    this.#all.delete(connection);
    if (this.#connecting.get(connection.key) === connection)
      this.#connecting.delete(connection.key);
    const idle = this.#idle.get(connection.key);
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

  get idleTimeoutMs(): number {
    return this.#idleTimeoutMs;
  }
}

function keyOf({ secure, address, port, name }: Origin): string {
  return `${secure ? 's' : 'p'}|${address}|${port}|${name}`;
}

/** One upstream socket and its response parser; carries one exchange at a time. */
class Connection {
  readonly parser: ResponseParser;
  exchange: Exchange | undefined;
  /** True once it has carried a whole exchange (a stale keep-alive socket may be closed). */
  reused = false;
  ready = false;
  /** While idle: when its keep-alive time ends (performance.now()). */
  idleUntil = 0;
  #keepAliveMs = KEEP_ALIVE_MS;

  constructor(
    readonly pool: Upstreams,
    readonly key: string,
    readonly socket: Socket,
  ) {
    this.parser = new ResponseParser({
      head: (status, reason, headers) => {
        this.#keepAliveMs = keepAliveOf(this.parser.keepAliveSeconds);
        this.exchange?.head(status, reason, headers);
      },
      data: (chunk) => this.exchange?.data(chunk),
      end: (reusable) => this.exchange?.responseEnd(reusable),
    });
    socket.once('ready', () => {
      this.ready = true;
      socket.setTimeout(pool.idleTimeoutMs);
      if (this.exchange) this.exchange.send();
      else pool.parked(this);
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        this.parser.push(chunk);
      } catch (error) {
        this.fail(error as Error);
      }
    });
    socket.on('end', () => {
      try {
        this.parser.eof();
      } catch (error) {
        this.fail(error as Error);
      }
    });
    socket.on('timeout', () => {
      const what = this.exchange ? 'the upstream timed out' : 'idle';
      socket.destroy(Object.assign(new Error(what), { code: 'ETIMEDOUT' }));
    });
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => {
      pool.forget(this);
      this.fail(new ResponseError('the upstream closed the connection'));
    });
  }

  get keepAliveMs(): number {
    return this.#keepAliveMs;
  }

  /** Ends the current exchange with `error` (if any) and closes the socket. */
  fail(error: Error): void {
    const exchange = this.exchange;
    this.exchange = undefined;
    this.socket.destroy();
    exchange?.failed(error, this);
  }
}

/** A server's `Keep-Alive: timeout=N`, a second early, within sbx's own keep-alive time. */
function keepAliveOf(seconds: number | undefined): number {
  if (seconds === undefined) return KEEP_ALIVE_MS;
  return Math.max(0, Math.min(KEEP_ALIVE_MS, seconds * 1000 - 1000));
}

/** One request and its response on a connection; retried once on a new connection when a kept-alive one turns out closed before any response byte. */
class Exchange implements UpstreamExchange {
  readonly #pool: Upstreams;
  readonly #origin: Origin;
  readonly #request: UpstreamRequest;
  readonly #handler: UpstreamHandler;
  #connection: Connection | undefined;
  #mayRetry = false;
  #bodyDone = false;
  #responseDone = false;
  #reusable = false;
  #done = false;
  #responded = false;

  constructor(pool: Upstreams, origin: Origin, request: UpstreamRequest, handler: UpstreamHandler) {
    this.#pool = pool;
    this.#origin = origin;
    this.#request = request;
    this.#handler = handler;
  }

  run(connection: Connection, mayRetry: boolean): void {
    this.#connection = connection;
    // A stale kept-alive socket is found out only by using it: a body already streamed
    // cannot be sent twice, a string or none can.
    const { method, body } = this.#request;
    this.#mayRetry =
      mayRetry &&
      connection.reused &&
      (body === null || typeof body === 'string') &&
      IDEMPOTENT.has(method);
    connection.exchange = this;
    connection.parser.expect(this.#request.method);
    if (connection.ready) this.send();
  }

  send(): void {
    const connection = this.#connection!;
    const { socket } = connection;
    const { method, path, headers, body, chunked } = this.#request;
    const head = requestHead(
      method,
      path,
      chunked ? [...headers, 'transfer-encoding', 'chunked'] : headers,
    );
    if (typeof body !== 'object' || body === null) {
      // latin1: a header byte beyond ASCII (obs-text) leaves as the byte it arrived as.
      socket.write(body ? head + body : head, 'latin1');
      this.#bodyDone = true;
      return;
    }
    socket.write(head, 'latin1');
    const onData = (chunk: Buffer) => {
      if (this.#connection !== connection || chunk.length === 0) return;
      this.#handler.onRequestData(chunk.length);
      let ok: boolean;
      if (chunked) {
        socket.cork();
        socket.write(`${chunk.length.toString(16)}\r\n`);
        socket.write(chunk);
        ok = socket.write('\r\n');
        socket.uncork();
      } else ok = socket.write(chunk);
      if (!ok) {
        body.pause();
        socket.once('drain', () => body.resume());
      }
    };
    const onEnd = () => {
      if (this.#connection !== connection) return;
      if (chunked) socket.write('0\r\n\r\n');
      this.#bodyDone = true;
      this.#complete();
    };
    body.on('data', onData);
    body.once('end', onEnd);
    // The client went away in the middle of its body: the upstream must not take the rest as complete.
    body.once('close', () => {
      if (!this.#bodyDone && this.#connection === connection)
        connection.fail(new Error('the client aborted the request body'));
    });
  }

  head(status: number, reason: string, headers: string[]): void {
    this.#mayRetry = false;
    this.#responded = true;
    this.#handler.onResponseStart(status, reason, headers);
  }

  data(chunk: Buffer): void {
    if (this.#done) return;
    if (!this.#handler.onResponseData(chunk)) this.#connection?.socket.pause();
  }

  responseEnd(reusable: boolean): void {
    this.#responseDone = true;
    this.#reusable = reusable;
    if (!this.#done) {
      this.#done = true;
      this.#handler.onResponseEnd();
    }
    this.#complete();
  }

  #complete(): void {
    const connection = this.#connection;
    if (!connection || !this.#responseDone) return;
    if (!this.#bodyDone) {
      // Answered before the whole body went up (an early 413, say): not reusable.
      this.#connection = undefined;
      connection.exchange = undefined;
      connection.socket.destroy();
      return;
    }
    this.#connection = undefined;
    connection.exchange = undefined;
    connection.socket.resume();
    if (this.#reusable) this.#pool.release(connection, connection.keepAliveMs);
    else connection.socket.destroy();
  }

  failed(error: Error, connection: Connection): void {
    if (this.#connection !== connection) return;
    this.#connection = undefined;
    if (this.#mayRetry && !connection.parser.started && !this.#responded) {
      this.run(this.#pool.take(this.#origin, true), false);
      return;
    }
    if (this.#done) return;
    this.#done = true;
    this.#handler.onResponseError(error);
  }

  abort(): void {
    this.#done = true;
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection) {
      connection.exchange = undefined;
      connection.socket.destroy();
    }
  }

  resume(): void {
    this.#connection?.socket.resume();
  }
}
