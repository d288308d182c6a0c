// The header fields of a message head, found and checked in its bytes (RFC 9112 5, RFC 9110
// 5.5): one pass over the bytes, no string per field until one is asked for. Both parsers
// scan their heads with it, and the headers sbx forwards are copied from the bytes as they
// came, line by line, leaving out the hop-by-hop ones (headers.ts).

/** The header names sbx acts on, each a small number; every other name is `OTHER`. */
export enum Name {
  Other = 0,
  ContentLength,
  TransferEncoding,
  Connection,
  KeepAlive,
  ProxyConnection,
  ProxyAuthorization,
  ProxyAuthenticate,
  Te,
  Trailer,
  Upgrade,
  Expect,
  Host,
  Via,
  Date,
}

/** tchar (RFC 9110 5.6.2): 1 for the bytes a header name (or a method) may hold. */
export const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") {
  TCHAR[c.charCodeAt(0)] = 1;
}

/** Per field: where its line starts, its colon, its value's start and end (OWS trimmed), its CR. */
const ROW = 5;

/**
 * Where each header field of one head lies in its bytes, and which of the names sbx acts on it
 * has. Valid while those bytes are: a parser's sink reads it during the call it gets it in.
 */
export class Fields {
  bytes: Buffer = Buffer.alloc(0);
  count = 0;
  /** The scanned bytes as a latin1 string, made when a first name or value is asked for. */
  #text: string | undefined;
  #end = 0;
  // Plain arrays of small integers: a typed array costs more to make than a request's fields.
  readonly #rows: number[] = [];
  readonly #names: Name[] = [];

  /**
   * Scans the header lines of `bytes` from `from` to `end` (where the blank line that ends the
   * head starts): false when a line is malformed, that is, a name that is not a token (empty,
   * whitespace before the colon, obs-fold), no colon, a control character other than HTAB in
   * a value, or a CR or LF other than a line's CRLF.
   */
  scan(bytes: Buffer, from: number, end: number): boolean {
    this.bytes = bytes;
    this.count = 0;
    this.#text = undefined;
    this.#end = end;
    let at = from;
    while (at < end) {
      const start = at;
      while (at < end && TCHAR[bytes[at]!] === 1) at++;
      if (at === start || at === end || bytes[at] !== 0x3a) return false;
      const colon = at++;
      while (at < end && (bytes[at] === 0x20 || bytes[at] === 0x09)) at++;
      const valueStart = at;
      let valueEnd = at;
      for (; at < end; at++) {
        const c = bytes[at]!;
        if (c === 0x0d) break;
        if (c < 0x20 ? c !== 0x09 : c === 0x7f) return false;
        if (c !== 0x20 && c !== 0x09) valueEnd = at + 1;
      }
      const lineEnd = at;
      if (at < end) {
        // A CR inside the head ends a line only with its LF, and a next line follows.
        if (bytes[at + 1] !== 0x0a || at + 2 >= end) return false;
        at += 2;
      }
      this.#add(start, colon, valueStart, valueEnd, lineEnd);
    }
    return true;
  }

  #add(start: number, colon: number, valueStart: number, valueEnd: number, lineEnd: number): void {
    const i = this.count++;
    const r = i * ROW;
    const rows = this.#rows;
    rows[r] = start;
    rows[r + 1] = colon;
    rows[r + 2] = valueStart;
    rows[r + 3] = valueEnd;
    rows[r + 4] = lineEnd;
    this.#names[i] = nameOf(this.bytes, start, colon);
  }

  /** Which of the names sbx acts on field `i` has (`Name.Other` for the rest). */
  name(i: number): Name {
    return this.#names[i]!;
  }

  /** Field `i`'s name as sent. */
  nameText(i: number): string {
    const r = i * ROW;
    return this.#textOf().slice(this.#rows[r], this.#rows[r + 1]);
  }

  /** Field `i`'s value, without surrounding whitespace. */
  value(i: number): string {
    const r = i * ROW;
    return this.#textOf().slice(this.#rows[r + 2], this.#rows[r + 3]);
  }

  /** One conversion of the head for all the strings asked of it (each a slice of it). */
  #textOf(): string {
    this.#text ??= this.bytes.toString('latin1', 0, this.#end);
    return this.#text;
  }

  /** Where field `i`'s line starts in `bytes`. */
  lineStart(i: number): number {
    return this.#rows[i * ROW]!;
  }

  /** Where field `i`'s line ends in `bytes` (its CR, or the end of the head). */
  lineEnd(i: number): number {
    return this.#rows[i * ROW + 4]!;
  }

  /** The fields as a flat [name, value, …] list of strings. */
  list(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.nameText(i), this.value(i));
    return out;
  }
}

/**
 * True when `line` (without its CRLF) is one well-formed header field line: what a chunked
 * body's trailer lines are held to, by the same scan as a head's fields.
 */
export function isFieldLine(line: string): boolean {
  return new Fields().scan(Buffer.from(line, 'latin1'), 0, line.length);
}

/** The `Name` of a header name given as a string (any case). */
export function nameOfText(name: string): Name {
  const bytes = Buffer.from(name, 'latin1');
  return nameOf(bytes, 0, bytes.length);
}

/** The `Name` of the token in `bytes` from `start` to `end`: by its length, then its bytes. */
function nameOf(bytes: Buffer, start: number, end: number): Name {
  switch (end - start) {
    case 2:
      return is(bytes, start, 'te') ? Name.Te : Name.Other;
    case 3:
      return is(bytes, start, 'via') ? Name.Via : Name.Other;
    case 4:
      if (is(bytes, start, 'host')) return Name.Host;
      return is(bytes, start, 'date') ? Name.Date : Name.Other;
    case 6:
      return is(bytes, start, 'expect') ? Name.Expect : Name.Other;
    case 7:
      if (is(bytes, start, 'upgrade')) return Name.Upgrade;
      return is(bytes, start, 'trailer') ? Name.Trailer : Name.Other;
    case 10:
      if (is(bytes, start, 'connection')) return Name.Connection;
      return is(bytes, start, 'keep-alive') ? Name.KeepAlive : Name.Other;
    case 14:
      return is(bytes, start, 'content-length') ? Name.ContentLength : Name.Other;
    case 16:
      return is(bytes, start, 'proxy-connection') ? Name.ProxyConnection : Name.Other;
    case 17:
      return is(bytes, start, 'transfer-encoding') ? Name.TransferEncoding : Name.Other;
    case 18:
      return is(bytes, start, 'proxy-authenticate') ? Name.ProxyAuthenticate : Name.Other;
    case 19:
      return is(bytes, start, 'proxy-authorization') ? Name.ProxyAuthorization : Name.Other;
    default:
      return Name.Other;
  }
}

/**
 * True when the token at `start` is `lower` in any case. `lower` holds lowercase letters and
 * `-` only, and the token's bytes are tchars, so OR-ing 0x20 folds case and matches nothing else.
 */
function is(bytes: Buffer, start: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    if ((bytes[start + i]! | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}
