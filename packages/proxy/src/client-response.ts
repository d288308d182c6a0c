import type { Socket } from 'node:net';
import type { ClientConnection } from './client.ts';
import { perSecond } from './events.ts';
import { type ForwardedLines, headBytes } from './headers.ts';
import { fieldLines, putLatin1, statusLine } from './http1.ts';
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
 * waits for the first body bytes, the end, or `flushHead`, which whoever writes the response
 * calls once the read it came in is done: a head and body parsed from one upstream read leave
 * in one write of one buffer (one TLS record, one syscall), and nothing waits longer. Every
 * write is one buffer: what a chunk needs around it is copied in with it.
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
  #head: Buffer | undefined;

  constructor(connection: ClientConnection, request: ClientRequest) {
    this.#connection = connection;
    this.#request = request;
    this.socket = connection.socket;
  }

  writeContinue(): void {
    this.socket.write(CONTINUE);
  }

  /**
   * The status line and `headers` (a flat name, value list; a Content-Length frames the body,
   * else it is chunked or runs to the close); `close`: the connection ends after this
   * response. For the proxy's own answers; a forwarded response uses `forwardHead`.
   */
  writeHead(
    status: number,
    reason: string | undefined,
    headers: readonly string[],
    close = false,
  ): void {
    let length = false;
    let date = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      if (name.length === 14 && name.toLowerCase() === 'content-length') length = true;
      else if (name.length === 4 && name.toLowerCase() === 'date') date = true;
    }
    const text = fieldLines(headers);
    const after = this.#begin(status, length, date, close, false);
    this.#head = Buffer.from(`${statusLine(status, reason)}${text}${after}`, 'latin1');
  }

  /**
   * The head of an upstream's response: its end-to-end `lines` (copied as they came) and Via;
   * `chunked`: the body will be written already chunked (see `chunksAsIs`).
   */
  forwardHead(status: number, reason: string, lines: ForwardedLines, chunked: boolean): void {
    const after = this.#begin(status, lines.length, lines.date, false, chunked);
    this.#head = headBytes(statusLine(status, reason), lines, `via: ${lines.via}\r\n${after}`);
  }

  /** Settles the framing; returns the header lines sbx adds and the blank line. */
  #begin(status: number, length: boolean, date: boolean, close: boolean, chunked: boolean): string {
    if (this.headersSent) throw new Error('the response head was already sent');
    const { method, version } = this.#request;
    let text = date ? '' : `date: ${httpDate(Date.now())}\r\n`;
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
    return `${text}\r\n`;
  }

  /** True when body writes must be chunked already (an HTTP/1.1 client, a chunked body). */
  get chunksAsIs(): boolean {
    return this.#framing === CHUNKED_AS_IS;
  }

  /** Writes the head if it is still waiting (no body bytes came with it). */
  flushHead(): void {
    const head = this.#head;
    if (!head) return;
    this.#head = undefined;
    if (!this.destroyed) this.socket.write(head);
  }

  /**
   * A piece of the body, copied (it may be a view of a buffer its owner reuses); false when
   * the socket's buffer is full (wait for `onDrain`).
   */
  write(chunk: Buffer): boolean {
    if (this.destroyed || chunk.length === 0 || this.#framing === NO_BODY) return true;
    const head = this.#head;
    this.#head = undefined;
    if (this.#framing !== CHUNKED) return this.socket.write(joinedBytes(head, '', chunk, ''));
    return this.socket.write(joinedBytes(head, `${chunk.length.toString(16)}\r\n`, chunk, '\r\n'));
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
      this.socket.write(joinedBytes(this.#head, '0\r\n\r\n', undefined, ''));
      this.#head = undefined;
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

/**
 * One buffer of `head` (if any), `before` (latin1), `bytes` (if any) and `after` (latin1),
 * every byte of it written.
 */
function joinedBytes(
  head: Buffer | undefined,
  before: string,
  bytes: Buffer | undefined,
  after: string,
): Buffer {
  const headSize = head ? head.length : 0;
  const size = bytes ? bytes.length : 0;
  const out = Buffer.allocUnsafe(headSize + before.length + size + after.length);
  if (head) out.set(head, 0);
  // (An event of a stream has nothing before it: no call for an empty string on that path.)
  if (before) putLatin1(out, before, headSize);
  // TypedArray#set: one builtin, none of Buffer#copy's argument checks in JavaScript.
  if (bytes) out.set(bytes, headSize + before.length);
  if (after) putLatin1(out, after, headSize + before.length + size);
  return out;
}
