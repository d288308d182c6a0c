import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ClientConnection } from './client.ts';
import { perSecond } from './events.ts';
import type { ClientRequest } from './request-parser.ts';

// The response half of sbx's HTTP/1.1 server side (client.ts has the connection and its
// requests): one response, written on the client's socket without stream layers between.

const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

/** The Date of a response (RFC 9110 5.6.7). */
const httpDate = perSecond((second) => new Date(second * 1000).toUTCString());

const NO_BODY = 0;
const FIXED = 1;
const CHUNKED = 2;
/** Chunked as the upstream framed it: its bytes, chunk sizes and last chunk included, go as they are. */
const CHUNKED_AS_IS = 3;
const UNTIL_CLOSE = 4;

/**
 * The response to one request, written on the client's socket: the head, then body bytes as
 * they come (chunked when their length is unknown and the client speaks HTTP/1.1). The head
 * waits until the end of the tick for the first body bytes, so a head and body parsed from one
 * upstream read leave in one write of one buffer (one TLS record, one syscall); nothing waits
 * longer. Every write is one buffer: what a chunk needs around it is copied in with it.
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
  /** The head, written with the first body bytes or at the end of the tick, whichever first. */
  #head = '';

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
    if (!date) text += `date: ${httpDate(Date.now())}\r\n`;
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
    } else text += this.#connection.keepAliveHint;
    this.statusCode = status;
    this.headersSent = true;
    this.#head = `${text}\r\n`;
    process.nextTick(flushHead, this);
  }

  /** True when body writes must be chunked already (an HTTP/1.1 client, a chunked body). */
  get chunksAsIs(): boolean {
    return this.#framing === CHUNKED_AS_IS;
  }

  /** Writes the head if it is still waiting. */
  flushHead(): void {
    if (!this.#head) return;
    const head = this.#head;
    this.#head = '';
    if (!this.destroyed) this.socket.write(head, 'latin1');
  }

  /**
   * A piece of the body, copied (it may be a view of a buffer its owner reuses); false when
   * the socket's buffer is full (wait for `onDrain`).
   */
  write(chunk: Buffer): boolean {
    if (this.destroyed || chunk.length === 0 || this.#framing === NO_BODY) return true;
    const head = this.#head;
    this.#head = '';
    if (this.#framing !== CHUNKED) return this.socket.write(joinedBytes(head, chunk, ''));
    return this.socket.write(joinedBytes(`${head}${chunk.length.toString(16)}\r\n`, chunk, '\r\n'));
  }

  onDrain(resume: () => void): void {
    this.socket.once('drain', resume);
  }

  /** Ends the response (`body`: a whole body given at once, with its Content-Length set). */
  end(body?: string): void {
    if (this.finished || this.destroyed) return;
    if (body) this.write(Buffer.from(body));
    // The response leaves now, before the bookkeeping of its end.
    if (this.#framing === CHUNKED) {
      this.socket.write(`${this.#head}0\r\n\r\n`, 'latin1');
      this.#head = '';
    } else this.flushHead();
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

function flushHead(response: ClientResponse): void {
  response.flushHead();
}

/** One buffer of `before` (latin1), `bytes` and `after` (latin1), every byte of it written. */
function joinedBytes(before: string, bytes: Buffer, after: string): Buffer {
  const out = Buffer.allocUnsafe(before.length + bytes.length + after.length);
  // (An event of a stream has nothing before it: no call for an empty string on that path.)
  if (before) out.write(before, 0, 'latin1');
  // TypedArray#set: one builtin, none of Buffer#copy's argument checks in JavaScript.
  out.set(bytes, before.length);
  if (after) out.write(after, before.length + bytes.length, 'latin1');
  return out;
}
