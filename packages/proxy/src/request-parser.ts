import { BodyReader } from './body-reader.ts';
import { Fields, Name, TCHAR } from './fields.ts';
import {
  bodyFraming,
  CHUNKED,
  firstLineEnd,
  HeadReader,
  joined,
  KEEP_ALIVE,
  startsHttp,
  trimOws,
} from './http1.ts';

/** A request sbx refuses to read: answered with `status`, then the connection closes. */
export class RequestError extends Error {
  readonly code = 'SBX_CLIENT_REQUEST';
  constructor(
    readonly status: 400 | 417 | 431 | 505,
    message: string,
    /** The start of the refused head (for the log: its request line), when there was one. */
    readonly raw?: Buffer,
  ) {
    super(message);
  }
}

/** A parsed request head. */
export interface ClientRequest {
  method: string;
  /** The request-target as sent (origin-, absolute- or authority-form, or `*`). */
  url: string;
  /** The minor version: HTTP/1.0 or HTTP/1.1. */
  version: 0 | 1;
  /** Where the head's header fields lie in its bytes (kept with the request). */
  fields: Fields;
  /** The Host header (one at most; HTTP/1.1 requires exactly one). */
  host: string | undefined;
  /** The body's framing, and its length when fixed. */
  body: 'none' | 'fixed' | 'chunked';
  length: number;
  expectContinue: boolean;
  /** False when the connection closes after the response (`Connection: close`, HTTP/1.0). */
  keepAlive: boolean;
  /** An `Upgrade` named in `Connection` (WebSocket): the connection is handed over after the head. */
  upgrade: boolean;
}

/** Where parsed requests go: each head, its body a chunk at a time, then its end. */
export interface RequestSink {
  head(request: ClientRequest): void;
  data(chunk: Buffer): void;
  end(): void;
}

enum State {
  Head,
  Body,
  /** CONNECT or an upgrade: the bytes after its head are not HTTP. */
  HandedOver,
}

/** Methods as constant strings: a request's method is one of them, not a new string, mostly. */
const METHODS = ['GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE'];
/**
 * uri-host [":" port] (RFC 9112 3.2, RFC 3986 3.2.2): an IP literal (a zone as RFC 6874 has
 * it) or a reg-name, or empty. What it names is parsed (strictly) where it matters.
 */
const HOST = /^(?:\[[0-9A-Za-z:.%_~-]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]*)(?::\d{0,5})?$/;
/** Where a head's start is kept for the log of a refused request: its request line. */
const RAW_KEPT = 8300;

/**
 * A strict, incremental HTTP/1.1 request parser (RFC 9112) for client connections, the
 * sandbox's side, so every byte is hostile: CRLF line ends only, no obs-fold, no control
 * characters in a field, no whitespace before a colon, exactly one Host in HTTP/1.1,
 * Content-Length repeated only with one value, Transfer-Encoding only `chunked` and never with
 * Content-Length (request smuggling), a head of 64 KiB at most. Anything else throws
 * `RequestError`, after which the connection is closed.
 *
 * `push` stops at the end of each request (a pipelined next one waits until the response has
 * gone) and after the head of a CONNECT or an upgrade, and returns where it stopped.
 */
export class RequestParser {
  readonly #sink: RequestSink;
  readonly #body: BodyReader;
  #state = State.Head;
  readonly #heads = new HeadReader(
    (partial) => new RequestError(431, 'the request head is too large', keep(partial)),
  );
  /** A CR ended the last read before any head byte: the LF of an empty line may follow. */
  #cr = false;
  #ended = false;

  constructor(sink: RequestSink) {
    this.#sink = sink;
    this.#body = new BodyReader(
      {
        data: (chunk) => sink.data(chunk),
        end: () => {
          this.#state = State.Head;
          this.#ended = true;
          sink.end();
        },
      },
      'the client',
      (message) => new RequestError(400, message),
    );
  }

  /** True once part of a request head has arrived and its end has not. */
  get headStarted(): boolean {
    return this.#state === State.Head && (this.#heads.length > 0 || this.#cr);
  }

  /** True between requests (the last one read whole, the next not begun). */
  get idle(): boolean {
    return this.#state === State.Head && this.#heads.length === 0 && !this.#cr;
  }

  /** The bytes of a request head begun and not finished (for the log of a refused one). */
  get partialHead(): Buffer | undefined {
    return this.#heads.partial();
  }

  /**
   * Parses `chunk` from `at` up to the end of one request (or of a CONNECT's or upgrade's head)
   * and returns where it stopped: `chunk.length` when it needs more bytes.
   */
  push(chunk: Buffer, at = 0): number {
    this.#ended = false;
    while (at < chunk.length && !this.#ended) {
      if (this.#state === State.Body) at = this.#body.push(chunk, at);
      else if (this.#state === State.Head) at = this.#headBytes(chunk, at);
      else throw new RequestError(400, 'bytes after a CONNECT or upgrade head');
    }
    return at;
  }

  /** The client closed its side; false when it did so in the middle of a request. */
  eof(): boolean {
    if (this.#state === State.Body) return false;
    return this.#heads.length === 0;
  }

  #headBytes(chunk: Buffer, at: number): number {
    if (this.#heads.length === 0) {
      // Empty lines before a request line are ignored (RFC 9112 2.2), even split across reads.
      if (this.#cr) {
        if (chunk[at] !== 0x0a) throw new RequestError(400, 'the request line is malformed');
        this.#cr = false;
        at++;
      }
      while (chunk[at] === 0x0d && chunk[at + 1] === 0x0a) at += 2;
      if (at === chunk.length) return at;
      if (at === chunk.length - 1 && chunk[at] === 0x0d) {
        this.#cr = true;
        return chunk.length;
      }
    }
    const head = this.#heads.read(chunk, at);
    if (!head) return chunk.length;
    let request: ClientRequest;
    try {
      request = parseHead(head.bytes, head.end);
    } catch (error) {
      if (error instanceof RequestError) {
        throw new RequestError(error.status, error.message, keep(head.bytes.subarray(0, -4)));
      }
      throw error;
    }
    const after = head.next;
    if (request.method === 'CONNECT' || request.upgrade) {
      this.#state = State.HandedOver;
      this.#ended = true;
      this.#sink.head(request);
      return after;
    }
    this.#state = State.Body;
    this.#sink.head(request);
    if (request.body === 'chunked') this.#body.chunked();
    else this.#body.fixed(request.length);
    return after;
  }
}

function keep(buf: Buffer): Buffer {
  return Buffer.from(buf.subarray(0, RAW_KEPT));
}

/**
 * The parts of a request line (RFC 9112 3): a token, SP, a request-target of visible ASCII,
 * SP, `HTTP/` DIGIT `.` DIGIT, ending at `eol`; undefined when it is anything else.
 */
function requestLine(
  bytes: Buffer,
  eol: number,
): { method: string; url: string; major: number; minor: number } | undefined {
  let at = 0;
  while (at < eol && TCHAR[bytes[at]!] === 1) at++;
  if (at === 0 || at === eol || bytes[at] !== 0x20) return undefined;
  const method = methodOf(bytes, at);
  const from = ++at;
  while (at < eol && bytes[at]! >= 0x21 && bytes[at]! <= 0x7e) at++;
  if (at === from || at === eol || bytes[at] !== 0x20) return undefined;
  const url = at === from + 1 && bytes[from] === 0x2f ? '/' : bytes.toString('latin1', from, at);
  at++;
  // "HTTP/" DIGIT "." DIGIT, and nothing after it.
  if (eol - at !== 8 || !startsHttp(bytes, at)) return undefined;
  const major = bytes[at + 5]! - 0x30;
  const minor = bytes[at + 7]! - 0x30;
  if (major < 0 || major > 9 || bytes[at + 6] !== 0x2e || minor < 0 || minor > 9) {
    return undefined;
  }
  return { method, url, major, minor };
}

/** The method of `bytes` up to `end`: one of `METHODS` when it is one (case-sensitive). */
function methodOf(bytes: Buffer, end: number): string {
  for (const method of METHODS) {
    if (method.length !== end) continue;
    let i = 0;
    while (i < end && bytes[i] === method.charCodeAt(i)) i++;
    if (i === end) return method;
  }
  return bytes.toString('latin1', 0, end);
}

/** The request line and header fields of the head in `bytes` (its blank line at `end`). */
function parseHead(bytes: Buffer, end: number): ClientRequest {
  const eol = firstLineEnd(bytes, end);
  const line = requestLine(bytes, eol);
  if (!line) throw new RequestError(400, 'the request line is malformed');
  const { method, major, minor } = line;
  if (major !== 1 || minor > 1) {
    throw new RequestError(505, `HTTP/${major}.${minor} is not supported`);
  }
  const fields = new Fields();
  if (!fields.scan(bytes, eol + 2, end)) throw new RequestError(400, 'a header line is malformed');
  const version = minor === 1 ? 1 : 0;
  let lengths: string | undefined;
  let codings: string | undefined;
  let host: string | undefined;
  let hosts = 0;
  let expect: string | undefined;
  let upgradeHeader = false;
  let close = version === 0;
  let upgradeToken = false;
  for (let i = 0; i < fields.count; i++) {
    // Only the headers that frame or route the message matter here.
    switch (fields.name(i)) {
      case Name.Host:
        host = fields.value(i);
        hosts++;
        break;
      case Name.ContentLength:
        lengths = joined(lengths, fields.value(i));
        break;
      case Name.TransferEncoding:
        codings = joined(codings, fields.value(i));
        break;
      case Name.Connection: {
        const value = fields.value(i);
        if (value === KEEP_ALIVE) break;
        for (const token of value.split(',')) {
          const t = trimOws(token).toLowerCase();
          if (t === 'close') close = true;
          else if (t === 'upgrade') upgradeToken = true;
        }
        break;
      }
      case Name.Upgrade:
        upgradeHeader = true;
        break;
      case Name.Expect:
        expect = joined(expect, fields.value(i));
        break;
    }
  }
  if (hosts > 1 || (hosts === 0 && version === 1)) {
    throw new RequestError(
      400,
      hosts ? 'the request has more than one Host' : 'the request has no Host',
    );
  }
  const framing = bodyFraming(lengths, codings, 'request', (why) => new RequestError(400, why));
  if (framing === CHUNKED && version === 0) {
    throw new RequestError(400, 'Transfer-Encoding in an HTTP/1.0 request');
  }
  const length = Math.max(framing, 0);
  const body: ClientRequest['body'] =
    framing === CHUNKED ? 'chunked' : length > 0 ? 'fixed' : 'none';
  if (host !== undefined && !HOST.test(host)) throw new RequestError(400, 'the Host is invalid');
  // HTTP/1.0 cannot upgrade and has no expectations (RFC 9110 7.8, 10.1.1: ignored).
  const upgrade = version === 1 && upgradeHeader && upgradeToken && method !== 'CONNECT';
  if ((method === 'CONNECT' || upgrade) && body !== 'none') {
    throw new RequestError(
      400,
      `a ${upgrade ? 'protocol upgrade' : 'CONNECT'} request with a body`,
    );
  }
  let expectContinue = false;
  if (expect !== undefined && version === 1) {
    if (expect.toLowerCase() !== '100-continue') {
      throw new RequestError(417, 'the only expectation supported is 100-continue');
    }
    expectContinue = true;
  }
  return {
    method,
    url: line.url,
    version,
    fields,
    host,
    body,
    length,
    expectContinue,
    keepAlive: !close,
    upgrade,
  };
}
