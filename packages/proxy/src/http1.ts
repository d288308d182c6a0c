import { STATUS_CODES } from 'node:http';
import { MAX_HEADER_SIZE } from './limits.ts';

// What sbx's two HTTP/1.1 parsers share (RFC 9112): the framing rules, the gathering of a
// message head and the bytes of start lines; fields.ts scans header fields, body-reader.ts
// decodes the body. The request parser reads what clients send (request-parser.ts), the
// response parser what upstreams answer (response-parser.ts).

export const CRLF2 = Buffer.from('\r\n\r\n');

/**
 * Where the first line of a head's `bytes` ends (its CRLF), or `end` (where the head's blank
 * line starts) when it is the only line: a loop over the bytes, as a start line is short.
 */
export function firstLineEnd(bytes: Buffer, end: number): number {
  for (let i = 0; i < end; i++) if (bytes[i] === 0x0d && bytes[i + 1] === 0x0a) return i;
  return end;
}

/**
 * Writes `text` into `out` at `at` as latin1 (each character's low byte, as Buffer#write does)
 * and returns where it ended: a loop, as a head's few added lines are short and Buffer#write
 * costs a call into C++ behind argument checks.
 */
export function putLatin1(out: Buffer, text: string, at: number): number {
  for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
  return at + text.length;
}

/** True when `bytes` has `HTTP/` at `at` (a request line's version, a status line's start). */
export function startsHttp(bytes: Buffer, at: number): boolean {
  return (
    bytes[at] === 0x48 &&
    bytes[at + 1] === 0x54 &&
    bytes[at + 2] === 0x54 &&
    bytes[at + 3] === 0x50 &&
    bytes[at + 4] === 0x2f
  );
}

/** The status line of a response sbx writes (HTTP/1.1 whatever the upstream spoke). */
export function statusLine(status: number, reason: string | undefined): string {
  return `HTTP/1.1 ${status} ${reason || STATUS_CODES[status] || 'Unknown'}\r\n`;
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
  if (!digits(first, 15)) return undefined;
  if (first !== lengths) {
    for (const l of lengths.split(',')) if (trimOws(l) !== first) return undefined;
  }
  return Number(first);
}

/** True when `text` is 1 to `most` decimal digits (a loop: no regular expression per message). */
export function digits(text: string, most: number): boolean {
  if (text.length === 0 || text.length > most) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** The usual value of a Connection header, which names no other header. */
export const KEEP_ALIVE = 'keep-alive';

/** True when the joined Transfer-Encoding values are exactly `chunked`. */
function onlyChunked(codings: string): boolean {
  const list = codings
    .split(',')
    .map((c) => trimOws(c).toLowerCase())
    .filter((c) => c !== '');
  return list.length === 1 && list[0] === 'chunked';
}

const EMPTY = Buffer.alloc(0);

/** A message head found whole: its bytes. */
export interface Head {
  /** The head's bytes, blank line included (and nothing before it). */
  bytes: Buffer;
  /** Where in `bytes` the blank line that ends the head starts. */
  end: number;
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
      bytes: bytes.subarray(0, end + 4),
      end,
      next: at + end + 4 - prior,
    };
  }
}
