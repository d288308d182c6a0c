import { isFieldLine } from './fields.ts';
import { MAX_HEADER_SIZE } from './limits.ts';

// The decoder of a message body (RFC 9112 6, 7), shared by sbx's request and response
// parsers: a fixed length, chunked, or until the connection closes.

const CHUNK_SIZE = /^([0-9A-Fa-f]{1,12})(?:[\t ]*;[^\0-\x08\x0a-\x1f\x7f]*)?$/;
/** A chunk-size line with its extensions; longer is an attack, not a size. */
const MAX_LINE = 4096;

/**
 * The size on a chunk-size line `buf[from..lf]` (LF at `lf`), or -1 if the line is invalid
 * (`NO_CRLF` if it ends in a bare LF):
 * 1-12 hex digits, then optionally whitespace, `;` and extensions free of control characters
 * but HTAB, then CRLF. The same grammar as `CHUNK_SIZE`, read from the bytes.
 */
const NO_CRLF = -2;

function chunkSize(buf: Buffer, from: number, lf: number): number {
  const cr = lf - 1;
  if (cr < from || buf[cr] !== 0x0d) return NO_CRLF;
  let size = 0;
  let at = from;
  for (; at < cr && at - from < 13; at++) {
    const c = buf[at]!;
    const digit =
      c >= 0x30 && c <= 0x39
        ? c - 0x30
        : c >= 0x61 && c <= 0x66
          ? c - 0x57
          : c >= 0x41 && c <= 0x46
            ? c - 0x37
            : -1;
    if (digit < 0) break;
    size = size * 16 + digit;
  }
  const digits = at - from;
  if (digits === 0 || digits > 12) return -1;
  if (at === cr) return size;
  while (at < cr && (buf[at] === 0x20 || buf[at] === 0x09)) at++;
  if (buf[at] !== 0x3b) return -1;
  for (at++; at < cr; at++) {
    const c = buf[at]!;
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return -1;
  }
  return size;
}

/**
 * Where the LF after `at` is in `chunk`, or -1: a loop over the bytes, since a chunk-size line
 * is a few bytes long and Buffer#indexOf costs a call into C++ (on a stream's cold path, each
 * event pays it). Looks no further than a line may be long: a longer one is refused anyway.
 */
function lineEnd(chunk: Buffer, at: number): number {
  const end = Math.min(chunk.length, at + MAX_HEADER_SIZE + 2);
  for (let i = at; i < end; i++) if (chunk[i] === 0x0a) return i;
  return -1;
}

/** Where a message body goes: a chunk at a time (subarrays of what arrived), then its end. */
export interface BodySink {
  data(chunk: Buffer): void;
  end(): void;
}

enum Body {
  None,
  Fixed,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  UntilClose,
}

/**
 * The body of one message: a fixed length, chunked (decoded: sizes, extensions and trailers
 * are checked and dropped), or everything until the connection closes. `who` names the sender
 * in error messages ("the upstream", "the client"); `error` makes the parser's error type.
 */
export class BodyReader {
  #state = Body.None;
  /** Body bytes left in a fixed-length body or in the current chunk. */
  #left = 0;
  /** CR/LF bytes still expected after a chunk's data. */
  #crlf = 0;
  #line = '';
  #trailerBytes = 0;

  constructor(
    private readonly sink: BodySink,
    private readonly who: string,
    private readonly error: (message: string) => Error,
  ) {}

  /** True while a body is being read. */
  get active(): boolean {
    return this.#state !== Body.None;
  }

  /** True while the body runs until the connection closes. */
  get untilClose(): boolean {
    return this.#state === Body.UntilClose;
  }

  fixed(length: number): void {
    this.#left = length;
    this.#state = Body.Fixed;
    if (length === 0) this.#finish();
  }

  chunked(): void {
    this.#state = Body.ChunkSize;
    this.#line = '';
    this.#trailerBytes = 0;
  }

  readUntilClose(): void {
    this.#state = Body.UntilClose;
  }

  /** Consumes body bytes of `chunk` from `at`; returns where the body (or the chunk) ends. */
  push(chunk: Buffer, at: number): number {
    while (at < chunk.length && this.#state !== Body.None) {
      switch (this.#state) {
        case Body.Fixed:
          at = this.#bodyBytes(chunk, at);
          if (this.#left === 0) this.#finish();
          break;
        case Body.ChunkSize:
        case Body.Trailers:
          at = this.#lineBytes(chunk, at);
          break;
        case Body.ChunkData:
          at = this.#bodyBytes(chunk, at);
          if (this.#left === 0) {
            this.#state = Body.ChunkDataEnd;
            this.#crlf = 2;
          }
          break;
        case Body.ChunkDataEnd: {
          const want = this.#crlf === 2 ? 0x0d : 0x0a;
          if (chunk[at] !== want) throw this.error('a chunk does not end with CRLF');
          at++;
          if (--this.#crlf === 0) {
            this.#state = Body.ChunkSize;
            this.#line = '';
          }
          break;
        }
        case Body.UntilClose:
          this.sink.data(at === 0 ? chunk : chunk.subarray(at));
          at = chunk.length;
          break;
      }
    }
    return at;
  }

  /** The sender closed its side: ends a body read until close; false if one was cut short. */
  eof(): boolean {
    if (this.#state === Body.UntilClose) {
      this.#finish();
      return true;
    }
    return this.#state === Body.None;
  }

  /** Forgets the body being read (the connection is going away). */
  reset(): void {
    this.#state = Body.None;
  }

  /** Up to `#left` body bytes from `at`, handed on as they are; returns where they end. */
  #bodyBytes(chunk: Buffer, at: number): number {
    const n = Math.min(this.#left, chunk.length - at);
    this.#left -= n;
    this.sink.data(chunk.subarray(at, at + n));
    return at + n;
  }

  /** A chunk-size or trailer line, CRLF-terminated, possibly split over several reads. */
  #lineBytes(chunk: Buffer, at: number): number {
    const lf = lineEnd(chunk, at);
    // The usual case, a whole chunk-size line in this read, is read from the bytes: no string,
    // no regular expression (each event of a stream pays this, mostly on a cold cache).
    if (lf >= 0 && this.#line === '' && this.#state === Body.ChunkSize && lf - at < MAX_LINE) {
      const size = chunkSize(chunk, at, lf);
      if (size === NO_CRLF) throw this.error('a chunked body line does not end with CRLF');
      if (size < 0) throw this.error(`${this.who} sent an invalid chunk size`);
      if (size === 0) {
        this.#state = Body.Trailers;
        this.#trailerBytes = 0;
        return lf + 1;
      }
      // The whole chunk and its CRLF in this read too (an event of a stream): handed on here,
      // in the order of the loop's steps (its bytes, then its CRLF checked), without them.
      const end = lf + 1 + size;
      if (end + 2 <= chunk.length) {
        this.sink.data(chunk.subarray(lf + 1, end));
        if (chunk[end] !== 0x0d || chunk[end + 1] !== 0x0a) {
          throw this.error('a chunk does not end with CRLF');
        }
        return end + 2;
      }
      this.#left = size;
      this.#state = Body.ChunkData;
      return lf + 1;
    }
    const end = lf < 0 ? chunk.length : lf + 1;
    this.#line += chunk.toString('latin1', at, end);
    const limit = this.#state === Body.Trailers ? MAX_HEADER_SIZE : MAX_LINE;
    if (this.#line.length + this.#trailerBytes > limit) {
      throw this.error('a chunk-size or trailer line is too long');
    }
    if (lf < 0) return end;
    const line = this.#line;
    this.#line = '';
    if (line.length < 2 || line.charCodeAt(line.length - 2) !== 0x0d) {
      throw this.error('a chunked body line does not end with CRLF');
    }
    const text = line.slice(0, -2);
    if (this.#state === Body.Trailers) {
      if (text === '') {
        this.#finish();
        return end;
      }
      if (!isFieldLine(text)) {
        throw this.error(`${this.who} sent a malformed trailer line`);
      }
      this.#trailerBytes += line.length;
      return end;
    }
    const size = CHUNK_SIZE.exec(text);
    if (!size) throw this.error(`${this.who} sent an invalid chunk size`);
    this.#left = Number.parseInt(size[1]!, 16);
    if (this.#left === 0) {
      this.#state = Body.Trailers;
      this.#trailerBytes = 0;
    } else this.#state = Body.ChunkData;
    return end;
  }

  #finish(): void {
    this.#state = Body.None;
    this.sink.end();
  }
}
