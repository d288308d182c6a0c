import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { Activity } from './activity.ts';
import { ClientResponse } from './client-response.ts';
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
// tunnels), read with sbx's strict request parser, answered by writing on the socket directly
// (client-response.ts). A response body leaves in the read it arrived in: one write per
// upstream read, no stream layers between the upstream socket and the client's.

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
  /** Bytes moving on the socket, as the sweep sees them. */
  readonly #activity: Activity;

  constructor(state: ProxyState, socket: Socket, tunnel: Tunnel | undefined) {
    this.#state = state;
    this.socket = socket;
    this.tunnel = tunnel;
    this.#parser = new RequestParser(this);
    this.#headSince = performance.now();
    this.#activity = new Activity(this.#headSince);
    state.clients.add(this);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
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

  readonly #onError = (): void => {
    this.socket.destroy();
  };

  readonly #onClose = (): void => {
    this.#state.clients.delete(this);
    if (this.#reading) this.#body?.destroy();
    this.#response?.gone();
  };

  /** The `Keep-Alive` header line responses on this connection carry. */
  get keepAliveHint(): string {
    return this.#state.keepAliveHint;
  }

  sweep(now: number): void {
    if (this.#headSince > 0 && now - this.#headSince > this.#state.headersTimeoutMs) {
      this.#headSince = 0;
      this.#refuse(408, 'sbx proxy: the request head took too long\n');
    } else if (this.#idleSince > 0 && now - this.#idleSince > this.#state.keepAliveTimeoutMs) {
      this.socket.destroy();
    } else this.#sweepStalled(now);
  }

  /**
   * Closes the connection when nothing was read or written for idleTimeoutMs. A request still
   * waiting for its response head gets half as long again, so that the upstream's own timeout
   * answers it (502) before the client is cut off.
   */
  #sweepStalled(now: number): void {
    const idle = this.#state.idleTimeoutMs;
    const limit = this.#response && !this.#response.headersSent ? idle * 1.5 : idle;
    if (this.#activity.quietFor(this.socket, now) >= limit) this.socket.destroy();
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
    socket.off('close', this.#onClose);
    // The error listener stays (it only destroys the socket): a reset must never go unheard.
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
