import type { Socket } from 'node:net';
import { Activity } from './activity.ts';
import type { Fields } from './fields.ts';
import { ResponseError, ResponseParser } from './response-parser.ts';
import type {
  Origin,
  UpstreamExchange,
  UpstreamHandler,
  UpstreamRequest,
  Upstreams,
} from './upstream.ts';

// One connection to an upstream origin, and one request-response exchange on it; the pool of
// such connections (keyed, kept alive, swept) is `Upstreams` in upstream.ts.

/** How long an idle connection is kept (a server's `Keep-Alive: timeout` can shorten it). */
export const KEEP_ALIVE_MS = 4_000;
/** A connection's read buffer; a read that fills it means a bulk body: it grows, once. */
const READ_BUFFER = 16 * 1024;
const LARGE_READ_BUFFER = 64 * 1024;
/** Methods a request may be repeated with (RFC 9110 9.2.2): nothing happens twice. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** One upstream socket and its response parser; carries one exchange at a time. */
export class Connection {
  readonly parser: ResponseParser;
  readonly socket: Socket;
  exchange: Exchange | undefined;
  /** True once it has carried a whole exchange (a stale keep-alive socket may be closed). */
  reused = false;
  ready = false;
  /** While idle: when its keep-alive time ends (performance.now()). */
  idleUntil = 0;
  #keepAliveMs = KEEP_ALIVE_MS;
  /** Bytes moving on the socket, as the pool's sweep sees them. */
  readonly #activity = new Activity();

  constructor(
    readonly pool: Upstreams,
    readonly key: string,
    origin: Origin,
  ) {
    this.parser = new ResponseParser({
      head: (status, reason, fields, chunked) => {
        this.#keepAliveMs = keepAliveOf(this.parser.keepAliveSeconds);
        this.exchange?.head(status, reason, fields, chunked);
      },
      data: (chunk) => this.exchange?.data(chunk),
      raw: (bytes) => this.exchange?.raw(bytes),
      end: (reusable) => this.exchange?.responseEnd(reusable),
    });
    // Every read lands in this connection's own buffer, reused: no allocation and no stream
    // queue per read (the parser hands on views of it, which a handler copies to keep).
    let buffer = Buffer.allocUnsafe(READ_BUFFER);
    const socket = pool.dial(origin, {
      buffer: () => buffer,
      callback: (n: number) => {
        const read = n === buffer.length ? buffer : buffer.subarray(0, n);
        if (n === READ_BUFFER && buffer.length === READ_BUFFER) {
          buffer = Buffer.allocUnsafe(LARGE_READ_BUFFER);
        }
        try {
          this.parser.push(read);
          this.exchange?.readEnd();
        } catch (error) {
          this.fail(error as Error);
        }
        return true;
      },
    });
    this.socket = socket;
    socket.once('ready', () => {
      this.ready = true;
      this.#activity.restart(performance.now());
      if (this.exchange) this.exchange.send();
      else pool.parked(this);
    });
    socket.on('end', () => {
      try {
        this.parser.eof();
      } catch (error) {
        this.fail(error as Error);
      }
    });
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => {
      pool.forget(this);
      this.fail(new ResponseError('the upstream closed the connection'));
    });
  }

  /**
   * The pool's sweep: a connection on which nothing was read or written for `idleMs` is
   * closed (its exchange fails: "the upstream timed out").
   */
  sweep(now: number, idleMs: number): void {
    if (!this.ready || this.#activity.quietFor(this.socket, now) < idleMs) return;
    const what = this.exchange ? 'the upstream timed out' : 'idle';
    this.socket.destroy(Object.assign(new Error(what), { code: 'ETIMEDOUT' }));
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
export class Exchange implements UpstreamExchange {
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
    // cannot be sent twice, none can.
    const { method, body } = this.#request;
    this.#mayRetry = mayRetry && connection.reused && body === null && IDEMPOTENT.has(method);
    connection.exchange = this;
    connection.parser.expect(this.#request.method);
    if (connection.ready) this.send();
  }

  send(): void {
    const connection = this.#connection!;
    const { socket } = connection;
    const { head, body, chunked } = this.#request;
    socket.write(head);
    if (body === null) {
      this.#bodyDone = true;
      return;
    }
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

  head(status: number, reason: string, fields: Fields, chunked: boolean): void {
    this.#mayRetry = false;
    this.#responded = true;
    this.#handler.onResponseStart(status, reason, fields, chunked);
  }

  data(chunk: Buffer): void {
    if (this.#done) return;
    if (!this.#handler.onResponseData(chunk)) this.#connection?.socket.pause();
  }

  raw(bytes: Buffer): void {
    if (this.#done) return;
    if (!this.#handler.onResponseRaw(bytes)) this.#connection?.socket.pause();
  }

  readEnd(): void {
    if (!this.#done) this.#handler.onReadEnd();
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
