import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { handleConnect } from './connect.ts';
import { forward } from './forward.ts';
import { rejectedEvent } from './rejected.ts';
import { replyRaw } from './reply.ts';
import {
  type ClientRequest,
  RequestError,
  RequestParser,
  type RequestSink,
} from './request-parser.ts';
import type { ProxyState, Tunnel } from './state.ts';
import { handleUpgrade } from './upgrade.ts';

// sbx's HTTP/1.1 server side: the connections of clients (on the proxy port, and inside mitm
// tunnels), read with sbx's strict request parser, answered by writing on the socket directly.
// A response body leaves in the read it arrived in: one write per upstream read, no stream
// layers between the upstream socket and the client's.

/** How long a kept-alive client connection may sit between requests. */
const KEEP_ALIVE_MS = 60_000;
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';
/**
 * Tells a client how long its idle connection stays open, as Node's HTTP server does. Without
 * it, undici 7 (assuming 4 s) was seen, after its pooled tunnels had idled out, opening a new
 * tunnel for every request; with it, it keeps them (the cause inside undici is not known).
 */
const KEEP_ALIVE_HINT = `keep-alive: timeout=${KEEP_ALIVE_MS / 1000}\r\n`;

/**
 * Serves HTTP/1.1 on `socket` until it closes, or until a CONNECT or protocol upgrade takes it
 * over. `tunnel`: the mitm tunnel the connection runs in (its requests must name its target).
 */
export function serveClient(state: ProxyState, socket: Socket, tunnel: Tunnel | undefined): void {
  new ClientConnection(state, socket, tunnel);
}

/** Answers 408 to heads left unfinished and closes connections idle between requests. */
export function sweepClients(state: ProxyState): void {
  const now = performance.now();
  for (const client of state.clients) client.sweep(now);
}

/** One client connection: its requests one at a time, a pipelined next one waits its turn. */
export class ClientConnection implements RequestSink {
  readonly #state: ProxyState;
  readonly socket: Socket;
  readonly tunnel: Tunnel | undefined;
  readonly #parser: RequestParser;
  /** The request being answered, from its head to the end of its response. */
  #response: ClientResponse | undefined;
  #request: ClientRequest | undefined;
  #body: Readable | undefined;
  /** True while the current request's body is still arriving. */
  #reading = false;
  /** A CONNECT or upgrade head: the socket is handed over with the bytes after it. */
  #handover: ClientRequest | undefined;
  /** Bytes that arrived while a response was being written (a pipelined request). */
  #stash: Buffer | undefined;
  /** Since when a request head has been awaited (0: not now); 408 beyond headersTimeoutMs. */
  #headSince: number;
  /** Since when the connection has been idle between requests (0: not idle). */
  #idleSince = 0;
  #closeAfter = false;
  /** The connection ends after the last response: what else arrives is not read. */
  #closing = false;
  /** Responses wait in the socket's buffer for a client that does not read: no new request. */
  #draining = false;

  constructor(state: ProxyState, socket: Socket, tunnel: Tunnel | undefined) {
    this.#state = state;
    this.socket = socket;
    this.tunnel = tunnel;
    this.#parser = new RequestParser(this);
    this.#headSince = performance.now();
    state.clients.add(this);
    socket.setTimeout(state.idleTimeoutMs);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('timeout', this.#onTimeout);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#closing) return;
    if ((this.#response && !this.#reading) || this.#draining) {
      // The next request, pipelined: it waits (unread) until this response has gone.
      this.#stash = this.#stash ? Buffer.concat([this.#stash, chunk]) : chunk;
      this.socket.pause();
      return;
    }
    this.#parse(chunk);
  };

  readonly #onEnd = (): void => {
    if (this.#closing) return;
    if (!this.#parser.eof() && !this.#stash) {
      this.#body?.destroy();
      this.socket.destroy();
    } else if (this.#response || this.#draining) {
      // Half-closed: what it sent (pipelined requests too) is answered, then the connection ends.
      this.#closeAfter = true;
    } else this.socket.end();
  };

  readonly #onTimeout = (): void => {
    this.socket.destroy();
  };

  readonly #onError = (): void => {
    this.socket.destroy();
  };

  readonly #onClose = (): void => {
    this.#state.clients.delete(this);
    if (this.#reading) this.#body?.destroy();
    this.#response?.gone();
  };

  sweep(now: number): void {
    if (this.#headSince > 0 && now - this.#headSince > this.#state.headersTimeoutMs) {
      this.#headSince = 0;
      this.#refuse(408, 'sbx proxy: the request head took too long\n');
    } else if (this.#idleSince > 0 && now - this.#idleSince > KEEP_ALIVE_MS) {
      this.socket.destroy();
    }
  }

  #parse(chunk: Buffer): void {
    if (this.#idleSince > 0) {
      this.#idleSince = 0;
      this.#headSince = performance.now();
    }
    let at = 0;
    try {
      while (at < chunk.length) {
        if ((this.#response && !this.#reading) || this.#draining) {
          this.#stash = chunk.subarray(at);
          this.socket.pause();
          return;
        }
        at = this.#parser.push(chunk, at);
        if (this.#handover) {
          this.#handOver(this.#handover, chunk.subarray(at));
          return;
        }
      }
    } catch (error) {
      if (error instanceof RequestError) this.#rejected(error);
      else {
        // A fault of sbx's own: this connection ends, the proxy and its other clients go on.
        this.#body?.destroy();
        this.socket.destroy();
      }
    }
  }

  head(request: ClientRequest): void {
    this.#headSince = 0;
    if (request.method === 'CONNECT' || request.upgrade) {
      this.#handover = request;
      return;
    }
    this.#request = request;
    this.#reading = request.body !== 'none';
    const socket = this.socket;
    this.#body = this.#reading
      ? new Readable({ highWaterMark: 64 * 1024, read: () => socket.resume() })
      : undefined;
    this.#response = new ClientResponse(this, request);
    forward(this.#state, request, this.#response, this.#body ?? null, this.tunnel);
  }

  data(chunk: Buffer): void {
    if (!this.#body!.push(chunk)) this.socket.pause();
  }

  end(): void {
    if (!this.#reading) return;
    this.#reading = false;
    this.#body!.push(null);
  }

  /** The current response has been written whole: next request, or close. */
  responded(): void {
    const request = this.#request!;
    const body = this.#body;
    this.#response = undefined;
    this.#request = undefined;
    this.#body = undefined;
    const socket = this.socket;
    if (this.#reading || !request.keepAlive) {
      // Answered before its body was read (the next request's start is unknown), or asked to close.
      this.#closing = true;
      this.#stash = undefined;
      if (this.#reading) {
        this.#reading = false;
        body?.destroy();
      }
      this.#state.clients.delete(this);
      socket.end();
      socket.resume();
      return;
    }
    this.#idleSince = performance.now();
    if (socket.writableNeedDrain) {
      // A client that pipelines requests and reads no answers gets no more of them until it
      // reads: else their responses would pile up in this process.
      this.#draining = true;
      socket.pause();
      socket.once('drain', this.#drained);
      return;
    }
    this.#next();
  }

  readonly #drained = (): void => {
    this.#draining = false;
    this.#next();
  };

  /** Reads on: the stashed start of the next request, then the socket. */
  #next(): void {
    const socket = this.socket;
    const stash = this.#stash;
    if (stash) {
      this.#stash = undefined;
      this.#parse(stash);
    }
    if (this.#response || this.#draining) return;
    if (this.#closeAfter) {
      // The client has sent all it will, and all of it is answered.
      this.#closing = true;
      this.#state.clients.delete(this);
      socket.end();
    } else if (socket.isPaused()) socket.resume();
  }

  #handOver(request: ClientRequest, rest: Buffer): void {
    const socket = this.socket;
    this.#state.clients.delete(this);
    socket.off('data', this.#onData);
    socket.off('end', this.#onEnd);
    socket.off('timeout', this.#onTimeout);
    socket.off('close', this.#onClose);
    // The error listener stays (it only destroys the socket): a reset must never go unheard.
    socket.setTimeout(0);
    // The bytes after the head belong to the new protocol: they go first.
    const head = Buffer.from(rest);
    if (request.method === 'CONNECT') {
      if (this.tunnel)
        replyRaw(socket, 405, 'sbx proxy: CONNECT inside a tunnel is not supported\n');
      else handleConnect(this.#state, request, socket, head);
    } else handleUpgrade(this.#state, request, socket, head, this.tunnel);
  }

  /** A request the parser refused: logged (with what is known of it), answered, closed. */
  #rejected(error: RequestError): void {
    const { sandbox, emit } = this.#state;
    const raw = error.raw ?? this.#parser.partialHead;
    if (this.#response) {
      // Its head was fine and it is on its way: the body broke. Nothing more can be sent.
      this.#body?.destroy();
      this.socket.destroy();
      return;
    }
    emit(rejectedEvent(sandbox, this.tunnel, raw, this.socket.writable ? error.status : 0));
    const why =
      error.status === 431
        ? 'the request head is too large'
        : `malformed request (${error.message})`;
    this.#refuse(error.status, `sbx proxy: ${why}\n`);
  }

  #refuse(status: number, body: string): void {
    this.#closing = true;
    this.#state.clients.delete(this);
    replyRaw(this.socket, status, body);
  }
}

/** The date of a response, formatted once a second. */
let dateSecond = 0;
let dateText = '';
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}

const NO_BODY = 0;
const FIXED = 1;
const CHUNKED = 2;
/** Chunked as the upstream framed it: its bytes, chunk sizes and last chunk included, go as they are. */
const CHUNKED_AS_IS = 3;
const UNTIL_CLOSE = 4;

/**
 * The response to one request, written on the client's socket: the head as one string, body
 * bytes as they come (chunked when their length is unknown and the client speaks HTTP/1.1).
 * The socket is corked until the end of the tick, so a head, body and end parsed from one
 * upstream read leave in one write (one TLS record, one syscall); nothing waits longer.
 */
export class ClientResponse {
  readonly #connection: ClientConnection;
  readonly #request: ClientRequest;
  readonly socket: Socket;
  headersSent = false;
  statusCode = 0;
  finished = false;
  destroyed = false;
  /** Called once: with true when the response was written whole, false when the client left. */
  onDone: ((finished: boolean) => void) | undefined;
  #framing = NO_BODY;
  #corked = false;

  constructor(connection: ClientConnection, request: ClientRequest) {
    this.#connection = connection;
    this.#request = request;
    this.socket = connection.socket;
  }

  writeContinue(): void {
    this.socket.write(CONTINUE);
  }

  /**
   * The status line and end-to-end `headers` (a flat name, value list; a Content-Length
   * frames the body, else it is chunked or runs to the close); `close`: the connection ends
   * after this response; `chunked`: the body will be written already chunked (see
   * `chunksAsIs`).
   */
  writeHead(
    status: number,
    reason: string | undefined,
    headers: readonly string[],
    close = false,
    chunked = false,
  ): void {
    if (this.headersSent) throw new Error('the response head was already sent');
    const { method, version } = this.#request;
    let text = `HTTP/1.1 ${status} ${reason || STATUS_CODES[status] || 'Unknown'}\r\n`;
    let length = false;
    let date = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      text += `${name}: ${headers[i + 1]}\r\n`;
      if (name.length === 14 && name.toLowerCase() === 'content-length') length = true;
      else if (name.length === 4 && name.toLowerCase() === 'date') date = true;
    }
    if (!date) text += `date: ${httpDate()}\r\n`;
    if (method === 'HEAD' || status === 204 || status === 304) this.#framing = NO_BODY;
    else if (length) this.#framing = FIXED;
    else if (version === 1) {
      this.#framing = chunked ? CHUNKED_AS_IS : CHUNKED;
      text += 'transfer-encoding: chunked\r\n';
    } else {
      this.#framing = UNTIL_CLOSE;
      close = true;
    }
    if (close || !this.#request.keepAlive) {
      text += 'connection: close\r\n';
      this.#request.keepAlive = false;
    } else text += KEEP_ALIVE_HINT;
    this.statusCode = status;
    this.headersSent = true;
    this.#cork();
    this.socket.write(`${text}\r\n`, 'latin1');
  }

  /** True when body writes must be chunked already (an HTTP/1.1 client, a chunked body). */
  get chunksAsIs(): boolean {
    return this.#framing === CHUNKED_AS_IS;
  }

  #cork(): void {
    if (this.#corked) return;
    this.#corked = true;
    this.socket.cork();
    process.nextTick(uncork, this);
  }

  uncork(): void {
    if (!this.#corked) return;
    this.#corked = false;
    this.socket.uncork();
  }

  /** A piece of the body; false when the socket's buffer is full (wait for `onDrain`). */
  write(chunk: Buffer): boolean {
    if (this.destroyed || chunk.length === 0 || this.#framing === NO_BODY) return true;
    const socket = this.socket;
    // One write needs no cork (the head's, if it is waiting, holds the socket corked).
    if (this.#framing !== CHUNKED) return socket.write(chunk);
    this.#cork();
    socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
    socket.write(chunk);
    return socket.write('\r\n', 'latin1');
  }

  onDrain(resume: () => void): void {
    this.socket.once('drain', resume);
  }

  /** Ends the response (`body`: a whole body given at once, with its Content-Length set). */
  end(body?: string): void {
    if (this.finished || this.destroyed) return;
    if (body) this.write(Buffer.from(body));
    if (this.#framing === CHUNKED) this.socket.write('0\r\n\r\n', 'latin1');
    // The response leaves now, before the bookkeeping of its end.
    this.uncork();
    this.finished = true;
    this.onDone?.(true);
    this.#connection.responded();
  }

  /** Cuts the connection: the response cannot be completed. */
  destroy(): void {
    if (this.destroyed) return;
    this.socket.destroy();
    this.gone();
  }

  /** The client connection closed before the response was complete. */
  gone(): void {
    if (this.finished || this.destroyed) return;
    this.destroyed = true;
    this.onDone?.(false);
  }
}

function uncork(response: ClientResponse): void {
  response.uncork();
}
