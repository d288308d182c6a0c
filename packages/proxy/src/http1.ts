import { MAX_HEADER_SIZE } from './limits.ts';

// What sbx's two HTTP/1.1 parsers share (RFC 9112): the grammar of header fields, the
// framing rules, and the decoder of a message body. The request parser reads what clients
// send (request-parser.ts), the response parser what upstreams answer (response-parser.ts).

export const CRLF2 = Buffer.from('\r\n\r\n');
export const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A field value: no control characters but HTAB. */
export const FIELD_VALUE = /^[^\0-\x08\x0a-\x1f\x7f]*$/;
/** What no header line may hold: control characters but HTAB, CR or LF outside CRLF. */
const BAD_FIELD_CHARS = /[\0-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n/;
const CHUNK_SIZE = /^([0-9A-Fa-f]{1,12})(?:[\t ]*;[^\0-\x08\x0a-\x1f\x7f]*)?$/;
const DIGITS = /^\d{1,15}$/;
/** A chunk-size line with its extensions; longer is an attack, not a size. */
const MAX_LINE = 4096;

/**
 * The header fields of a head's text from `from` (where its second line starts) as a flat
 * [name, value, …] list, values without surrounding whitespace; undefined when a line is
 * malformed: a control character but HTAB, CR or LF outside a line end, or a name that is no
 * token (empty, whitespace before the colon, obs-fold).
 */
export function headerFields(text: string, from: number): string[] | undefined {
  const fields: string[] = [];
  if (from >= text.length) return fields;
  // One pass over all the lines for the characters no field may hold.
  if (BAD_FIELD_CHARS.test(text.slice(from))) return undefined;
  for (let at = from, eol = 0; at < text.length; at = eol + 2) {
    eol = text.indexOf('\r\n', at);
    if (eol < 0) eol = text.length;
    const colon = text.indexOf(':', at);
    const name = colon > at && colon < eol ? text.slice(at, colon) : '';
    if (!TOKEN.test(name)) return undefined;
    fields.push(name, trimOws(text.slice(colon + 1, eol)));
  }
  return fields;
}

/** Header field lines, each ending in CRLF, from a flat [name, value, …] list. */
export function fieldLines(headers: readonly string[]): string {
  let text = '';
  for (let i = 0; i < headers.length; i += 2) text += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return text;
}

/** Strips optional whitespace (SP, HTAB) at both ends, in linear time. */
export function trimOws(value: string): string {
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

/** `value` added to the values of a header seen before (joined by commas, as a list). */
export function joined(before: string | undefined, value: string): string {
  return before === undefined ? value : `${before},${value}`;
}

/** A body framed by `Transfer-Encoding: chunked`. */
export const CHUNKED = -1;
/** A message with neither Content-Length nor Transfer-Encoding. */
export const UNFRAMED = -2;

/**
 * How a message's body is framed, from its Content-Length and Transfer-Encoding values (each
 * `joined` when repeated): its length, `CHUNKED` or `UNFRAMED`. Throws `error(why)` for what
 * sbx will not read: both headers at once (the signature of request smuggling and response
 * splitting), a transfer coding other than exactly `chunked`, or Content-Lengths that differ
 * or are not digits. `what` names the message in the reason.
 */
export function bodyFraming(
  lengths: string | undefined,
  codings: string | undefined,
  what: 'request' | 'response',
  error: (why: string) => Error,
): number {
  if (codings !== undefined) {
    if (lengths !== undefined) {
      throw error(`the ${what} has both Content-Length and Transfer-Encoding`);
    }
    if (!onlyChunked(codings)) {
      throw error(
        `unsupported transfer coding "${codings.slice(0, 40)}": the only transfer coding accepted is chunked`,
      );
    }
    return CHUNKED;
  }
  if (lengths === undefined) return UNFRAMED;
  const length = contentLength(lengths);
  if (length === undefined) throw error(`the ${what} has an invalid Content-Length`);
  return length;
}

/** The length the joined Content-Length values state (repeated only with the same value), or undefined. */
function contentLength(lengths: string): number | undefined {
  const first = lengths.includes(',') ? trimOws(lengths.split(',')[0]!) : lengths;
  if (!DIGITS.test(first)) return undefined;
  if (first !== lengths) {
    for (const l of lengths.split(',')) if (trimOws(l) !== first) return undefined;
  }
  return Number(first);
}

/** True when the joined Transfer-Encoding values are exactly `chunked`. */
function onlyChunked(codings: string): boolean {
  const list = codings
    .split(',')
    .map((c) => trimOws(c).toLowerCase())
    .filter((c) => c !== '');
  return list.length === 1 && list[0] === 'chunked';
}

const EMPTY = Buffer.alloc(0);

/** A message head found whole: its bytes (`text` is the part before the blank line). */
export interface Head {
  text: string;
  /** The head's bytes, blank line included, with what the chunk held before it. */
  bytes: Buffer;
  /** Where in the chunk passed to `HeadReader.read` the head's bytes end. */
  next: number;
}

/**
 * Gathers a message head that may arrive over many reads, in linear time however small they
 * are: earlier pieces are kept as they came and joined once, when the blank line that ends the
 * head has arrived. A head (before its blank line) of more than `MAX_HEADER_SIZE` bytes is
 * refused, wherever the reads split it.
 */
export class HeadReader {
  #pieces: Buffer[] = [];
  #length = 0;
  /** The last (up to 3) bytes gathered: a blank line may start in them. */
  #tail: Buffer = EMPTY;

  constructor(private readonly tooLarge: (partial: Buffer) => Error) {}

  /** Bytes of an unfinished head gathered so far. */
  get length(): number {
    return this.#length;
  }

  /** The unfinished head gathered so far, if any. */
  partial(): Buffer | undefined {
    return this.#length ? Buffer.concat(this.#pieces) : undefined;
  }

  clear(): void {
    this.#pieces = [];
    this.#length = 0;
    this.#tail = EMPTY;
  }

  /** Reads `chunk` from `at`: the whole head once it has ended, else undefined (all kept). */
  read(chunk: Buffer, at: number): Head | undefined {
    const rest = at === 0 ? chunk : chunk.subarray(at);
    const prior = this.#length;
    let end = -1;
    if (prior) {
      // A blank line across the previous read's end, else one inside this read.
      const tail = this.#tail;
      const joint = Buffer.concat([tail, rest.subarray(0, 3)]).indexOf(CRLF2);
      if (joint >= 0) end = prior - tail.length + joint;
      else {
        const inside = rest.indexOf(CRLF2);
        if (inside >= 0) end = prior + inside;
      }
    } else end = rest.indexOf(CRLF2);
    if (end < 0) {
      // Refused once no blank line could still end it within the limit.
      if (prior + rest.length > MAX_HEADER_SIZE + 3) {
        throw this.tooLarge(Buffer.concat([...this.#pieces, rest]));
      }
      this.#pieces.push(Buffer.from(rest));
      this.#length += rest.length;
      const joined = rest.length >= 3 ? rest : Buffer.concat([this.#tail, rest]);
      this.#tail = Buffer.from(joined.subarray(Math.max(0, joined.length - 3)));
      return undefined;
    }
    const bytes = prior ? Buffer.concat([...this.#pieces, rest]) : rest;
    if (end > MAX_HEADER_SIZE) throw this.tooLarge(bytes.subarray(0, end));
    this.clear();
    return {
      text: bytes.toString('latin1', 0, end),
      bytes: bytes.subarray(0, end + 4),
      next: at + end + 4 - prior,
    };
  }
}

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
    const lf = chunk.indexOf(0x0a, at);
    // The usual case, a whole chunk-size line in this read, is read from the bytes: no string,
    // no regular expression (each event of a stream pays this, mostly on a cold cache).
    if (lf >= 0 && this.#line === '' && this.#state === Body.ChunkSize && lf - at < MAX_LINE) {
      const size = chunkSize(chunk, at, lf);
      if (size === NO_CRLF) throw this.error('a chunked body line does not end with CRLF');
      if (size < 0) throw this.error(`${this.who} sent an invalid chunk size`);
      this.#left = size;
      if (size === 0) {
        this.#state = Body.Trailers;
        this.#trailerBytes = 0;
      } else this.#state = Body.ChunkData;
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
      const colon = text.indexOf(':');
      if (colon <= 0 || !TOKEN.test(text.slice(0, colon)) || !FIELD_VALUE.test(text)) {
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
