import { MAX_HEADER_SIZE } from './limits.ts';

/** An upstream response sbx will not pass on: the exchange fails (502, or the stream is cut). */
export class ResponseError extends Error {
  readonly code = 'SBX_UPSTREAM_RESPONSE';
}

/** Where a parsed response goes: its head once, its body a chunk at a time, then its end. */
export interface ResponseSink {
  head(status: number, reason: string, headers: string[]): void;
  data(chunk: Buffer): void;
  /** `reusable`: the connection may carry another request (framed body, no `close`). */
  end(reusable: boolean): void;
}

enum State {
  Idle,
  Head,
  Fixed,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  UntilClose,
}

const CRLF2 = Buffer.from('\r\n\r\n');
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: ([^\0-\x08\x0a-\x1f\x7f]*))?$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FIELD_VALUE = /^[^\0-\x08\x0a-\x1f\x7f]*$/;
const BAD_FIELD_CHARS = /[\0-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n/;
const CLOSE = /(?:^|,)[\t ]*close[\t ]*(?:,|$)/i;
const KEEP_ALIVE_TIMEOUT = /(?:^|,)[\t ]*timeout[\t ]*=[\t ]*(\d{1,9})/i;
const CHUNK_SIZE = /^([0-9A-Fa-f]{1,12})(?:[\t ]*;[^\0-\x08\x0a-\x1f\x7f]*)?$/;
const DIGITS = /^\d{1,15}$/;
/** A chunk-size line with its extensions; longer is an attack, not a size. */
const MAX_LINE = 4096;

/**
 * A strict, incremental HTTP/1.1 response parser (RFC 9112) for upstream connections: CRLF
 * line ends only, no obs-fold, no control characters in a field, Content-Length with
 * Transfer-Encoding refused (a response splitting signature), chunked as the only transfer
 * coding. Body chunks are handed on as they arrive (subarrays, never buffered). Errors throw
 * `ResponseError`; after one the connection is unusable.
 */
export class ResponseParser {
  readonly #sink: ResponseSink;
  #state = State.Idle;
  #method = '';
  #pending: Buffer | undefined;
  /** Body bytes left in a fixed-length body or in the current chunk. */
  #left = 0;
  /** CR/LF bytes still expected after a chunk's data. */
  #crlf = 0;
  #line = '';
  #trailerBytes = 0;
  #reusable = false;
  /** The `Keep-Alive: timeout=N` of the last response head, if it had one. */
  keepAliveSeconds: number | undefined;

  constructor(sink: ResponseSink) {
    this.#sink = sink;
  }

  /** A request went out: the next bytes are its response (HEAD's has no body). */
  expect(method: string): void {
    if (this.#state !== State.Idle) throw new ResponseError('a response is still being read');
    this.#method = method;
    this.#state = State.Head;
    this.#trailerBytes = 0;
  }

  /** True while a response is expected or being read. */
  get busy(): boolean {
    return this.#state !== State.Idle;
  }

  /** True once any byte of the current response's head has arrived. */
  get started(): boolean {
    return this.#state !== State.Head || this.#pending !== undefined;
  }

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      switch (this.#state) {
        case State.Idle:
          throw new ResponseError('the upstream sent bytes no request asked for');
        case State.Head:
          at = this.#headBytes(chunk, at);
          break;
        case State.Fixed:
          at = this.#bodyBytes(chunk, at);
          if (this.#left === 0) this.#finish();
          break;
        case State.ChunkSize:
        case State.Trailers:
          at = this.#lineBytes(chunk, at);
          break;
        case State.ChunkData:
          at = this.#bodyBytes(chunk, at);
          if (this.#left === 0) {
            this.#state = State.ChunkDataEnd;
            this.#crlf = 2;
          }
          break;
        case State.ChunkDataEnd: {
          const want = this.#crlf === 2 ? 0x0d : 0x0a;
          if (chunk[at] !== want) throw new ResponseError('a chunk does not end with CRLF');
          at++;
          if (--this.#crlf === 0) {
            this.#state = State.ChunkSize;
            this.#line = '';
          }
          break;
        }
        case State.UntilClose:
          this.#sink.data(at === 0 ? chunk : chunk.subarray(at));
          at = chunk.length;
          break;
      }
    }
  }

  /** The upstream closed its side: ends a body read until close, else the response is cut. */
  eof(): void {
    if (this.#state === State.UntilClose) {
      this.#reusable = false;
      this.#finish();
      return;
    }
    if (this.#state !== State.Idle) {
      throw new ResponseError(
        this.started
          ? 'the upstream closed the connection in the middle of the response'
          : 'the upstream closed the connection without responding',
      );
    }
  }

  /** Up to `#left` body bytes from `at`, handed on as they are; returns where they end. */
  #bodyBytes(chunk: Buffer, at: number): number {
    const n = Math.min(this.#left, chunk.length - at);
    this.#left -= n;
    this.#sink.data(chunk.subarray(at, at + n));
    return at + n;
  }

  #headBytes(chunk: Buffer, at: number): number {
    const prior = this.#pending?.length ?? 0;
    const buf = prior ? Buffer.concat([this.#pending!, chunk.subarray(at)]) : chunk.subarray(at);
    const end = buf.indexOf(CRLF2, Math.max(0, prior - 3));
    if (end < 0) {
      if (buf.length > MAX_HEADER_SIZE) throw new ResponseError('the response head is too large');
      this.#pending = Buffer.from(buf);
      return chunk.length;
    }
    if (end > MAX_HEADER_SIZE) throw new ResponseError('the response head is too large');
    this.#pending = undefined;
    this.#head(buf.toString('latin1', 0, end));
    // Bytes of this chunk consumed: the head's end minus what was pending before the chunk.
    return at + end + 4 - prior;
  }

  #head(text: string): void {
    let eol = text.indexOf('\r\n');
    if (eol < 0) eol = text.length;
    const status = STATUS_LINE.exec(eol === text.length ? text : text.slice(0, eol));
    if (!status) throw new ResponseError('the upstream sent no valid HTTP/1.x status line');
    // One pass over the header lines for what no field may hold: control characters but
    // HTAB, and CR or LF outside a CRLF line end.
    if (eol < text.length && BAD_FIELD_CHARS.test(text.slice(eol + 2))) {
      throw new ResponseError('the upstream sent a malformed header line');
    }
    const code = Number(status[2]);
    const headers: string[] = [];
    let lengths: string | undefined;
    let codings: string | undefined;
    let close = status[1] === '0';
    this.keepAliveSeconds = undefined;
    for (let at = eol + 2; at < text.length; at = eol + 2) {
      eol = text.indexOf('\r\n', at);
      if (eol < 0) eol = text.length;
      const colon = text.indexOf(':', at);
      const name = colon > at && colon < eol ? text.slice(at, colon) : '';
      // A name that is no token (empty, or starting with whitespace: obs-fold) is refused.
      if (!TOKEN.test(name)) throw new ResponseError('the upstream sent a malformed header line');
      const value = trimOws(text.slice(colon + 1, eol));
      headers.push(name, value);
      // Only the framing headers matter here (content-length, transfer-encoding, connection).
      if (name.length !== 14 && name.length !== 17 && name.length !== 10) continue;
      switch (name.toLowerCase()) {
        case 'content-length':
          lengths = lengths === undefined ? value : `${lengths},${value}`;
          break;
        case 'transfer-encoding':
          codings = codings === undefined ? value : `${codings},${value}`;
          break;
        case 'connection':
          if (CLOSE.test(value)) close = true;
          break;
        case 'keep-alive': {
          const hint = KEEP_ALIVE_TIMEOUT.exec(value);
          if (hint) this.keepAliveSeconds = Number(hint[1]);
          break;
        }
      }
    }
    if (code < 200) {
      // 100 Continue, 102, 103: informational, not passed on; the real response follows.
      if (code === 101) throw new ResponseError('the upstream switched protocols unasked');
      this.#state = State.Head;
      return;
    }
    // Framing is settled before the head is passed on: a response refused here gets a 502.
    let body: State.Idle | State.Fixed | State.ChunkSize | State.UntilClose;
    if (this.#method === 'HEAD' || code === 204 || code === 304) body = State.Idle;
    else if (codings !== undefined) {
      if (lengths !== undefined) {
        throw new ResponseError('the response has both Content-Length and Transfer-Encoding');
      }
      const list = codings
        .split(',')
        .map((c) => trimOws(c).toLowerCase())
        .filter((c) => c !== '');
      if (list.length !== 1 || list[0] !== 'chunked') {
        throw new ResponseError(`unsupported transfer coding "${codings.slice(0, 40)}"`);
      }
      body = State.ChunkSize;
    } else if (lengths !== undefined) {
      // Repeated (as headers or in a list) only with the same value.
      const first = lengths.includes(',') ? trimOws(lengths.split(',')[0]!) : lengths;
      if (!DIGITS.test(first))
        throw new ResponseError('the response has an invalid Content-Length');
      if (first !== lengths) {
        for (const l of lengths.split(',')) {
          if (trimOws(l) !== first) {
            throw new ResponseError('the response has an invalid Content-Length');
          }
        }
      }
      this.#left = Number(first);
      body = this.#left === 0 ? State.Idle : State.Fixed;
    } else {
      close = true;
      body = State.UntilClose;
    }
    this.#reusable = !close;
    this.#sink.head(code, status[3] ?? '', headers);
    if (body === State.Idle) this.#finish();
    else {
      this.#state = body;
      this.#line = '';
    }
  }

  /** A chunk-size or trailer line, CRLF-terminated, possibly split over several reads. */
  #lineBytes(chunk: Buffer, at: number): number {
    const lf = chunk.indexOf(0x0a, at);
    const end = lf < 0 ? chunk.length : lf + 1;
    this.#line += chunk.toString('latin1', at, end);
    const limit = this.#state === State.Trailers ? MAX_HEADER_SIZE : MAX_LINE;
    if (this.#line.length + this.#trailerBytes > limit) {
      throw new ResponseError('a chunk-size or trailer line is too long');
    }
    if (lf < 0) return end;
    const line = this.#line;
    this.#line = '';
    if (line.length < 2 || line.charCodeAt(line.length - 2) !== 0x0d) {
      throw new ResponseError('a chunked body line does not end with CRLF');
    }
    const text = line.slice(0, -2);
    if (this.#state === State.Trailers) {
      if (text === '') {
        this.#finish();
        return end;
      }
      const colon = text.indexOf(':');
      if (colon <= 0 || !TOKEN.test(text.slice(0, colon)) || !FIELD_VALUE.test(text)) {
        throw new ResponseError('the upstream sent a malformed trailer line');
      }
      this.#trailerBytes += line.length;
      return end;
    }
    const size = CHUNK_SIZE.exec(text);
    if (!size) throw new ResponseError('the upstream sent an invalid chunk size');
    this.#left = Number.parseInt(size[1]!, 16);
    if (this.#left === 0) {
      this.#state = State.Trailers;
      this.#trailerBytes = 0;
    } else this.#state = State.ChunkData;
    return end;
  }

  #finish(): void {
    this.#state = State.Idle;
    this.#pending = undefined;
    this.#sink.end(this.#reusable);
  }
}

/** Strips optional whitespace (SP, HTAB) at both ends, in linear time. */
function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && (value.charCodeAt(start) === 0x20 || value.charCodeAt(start) === 0x09)) {
    start++;
  }
  while (
    end > start &&
    (value.charCodeAt(end - 1) === 0x20 || value.charCodeAt(end - 1) === 0x09)
  ) {
    end--;
  }
  return start === 0 && end === value.length ? value : value.slice(start, end);
}
