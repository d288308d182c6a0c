import { BodyReader } from './body-reader.ts';
import { Fields, Name } from './fields.ts';
import {
  bodyFraming,
  CHUNKED,
  digits,
  firstLineEnd,
  type Head,
  HeadReader,
  joined,
  KEEP_ALIVE,
  startsHttp,
  UNFRAMED,
} from './http1.ts';

/** An upstream response sbx will not pass on: the exchange fails (502, or the stream is cut). */
export class ResponseError extends Error {
  readonly code = 'SBX_UPSTREAM_RESPONSE';
}

/** Where a parsed response goes: its head once, its body a chunk at a time, then its end. */
export interface ResponseSink {
  /**
   * `fields`: where the head's header fields lie in its bytes, valid during this call only
   * (the bytes may be a read buffer that is reused). `chunked`: the body comes chunked (see
   * `raw`).
   */
  head(status: number, reason: string, fields: Fields, chunked: boolean): void;
  data(chunk: Buffer): void;
  /**
   * The body's bytes as they came, framing included (chunk sizes, the last chunk, trailers),
   * once per read, after its `data` and before `end`: what a client of the same framing can
   * be sent as they are.
   */
  raw(bytes: Buffer): void;
  /** `reusable`: the connection may carry another request (framed body, no `close`). */
  end(reusable: boolean): void;
}

enum State {
  Idle,
  Head,
  Body,
}

const CLOSE = /(?:^|,)[\t ]*close[\t ]*(?:,|$)/i;
const KEEP_ALIVE_TIMEOUT = /(?:^|,)[\t ]*timeout[\t ]*=[\t ]*(\d{1,9})/i;

/**
 * The status code of a status line (RFC 9112 4) ending at `eol`: `HTTP/1.0` or `HTTP/1.1`, SP,
 * three digits (100 to 999), then nothing or SP and a reason phrase without control characters
 * but HTAB; 0 when it is anything else.
 */
function statusCode(bytes: Buffer, eol: number): number {
  if (eol < 12 || !startsHttp(bytes, 0) || bytes[5] !== 0x31 || bytes[6] !== 0x2e) return 0;
  if ((bytes[7] !== 0x30 && bytes[7] !== 0x31) || bytes[8] !== 0x20) return 0;
  let code = 0;
  for (let i = 9; i < 12; i++) {
    const d = bytes[i]! - 0x30;
    if (d < 0 || d > 9) return 0;
    code = code * 10 + d;
  }
  if (code < 100) return 0;
  if (eol === 12) return code;
  if (bytes[12] !== 0x20) return 0;
  for (let i = 13; i < eol; i++) {
    const c = bytes[i]!;
    if (c < 0x20 ? c !== 0x09 : c === 0x7f) return 0;
  }
  return code;
}

/** The reason phrase of a status line found valid by `statusCode` (`OK` without a new string). */
function reasonOf(bytes: Buffer, eol: number): string {
  if (eol <= 13) return '';
  if (eol === 15 && bytes[13] === 0x4f && bytes[14] === 0x4b) return 'OK';
  return bytes.toString('latin1', 13, eol);
}

/** The `timeout=N` of a Keep-Alive value (as most servers send it, or within a list). */
function keepAliveTimeout(value: string): number | undefined {
  if (value.startsWith('timeout=')) {
    const seconds = value.slice(8);
    if (digits(seconds, 9)) return Number(seconds);
  }
  const hint = KEEP_ALIVE_TIMEOUT.exec(value);
  return hint ? Number(hint[1]) : undefined;
}

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
  readonly #heads = new HeadReader(() => new ResponseError('the response head is too large'));
  readonly #body: BodyReader;
  readonly #fields = new Fields();
  /** The body reader reached the body's end; the response ends once its bytes are passed on. */
  #bodyDone = false;
  #reusable = false;
  /** The `Keep-Alive: timeout=N` of the last response head, if it had one. */
  keepAliveSeconds: number | undefined;

  constructor(sink: ResponseSink) {
    this.#sink = sink;
    this.#body = new BodyReader(
      {
        data: (chunk) => sink.data(chunk),
        end: () => {
          this.#bodyDone = true;
        },
      },
      'the upstream',
      (message) => new ResponseError(message),
    );
  }

  /** A request went out: the next bytes are its response (HEAD's has no body). */
  expect(method: string): void {
    if (this.#state !== State.Idle) throw new ResponseError('a response is still being read');
    this.#method = method;
    this.#state = State.Head;
  }

  /** True while a response is expected or being read. */
  get busy(): boolean {
    return this.#state !== State.Idle;
  }

  /** True once any byte of the current response's head has arrived. */
  get started(): boolean {
    return this.#state !== State.Head || this.#heads.length > 0;
  }

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.#state === State.Body) {
        const from = at;
        at = this.#body.push(chunk, at);
        this.#sink.raw(from === 0 && at === chunk.length ? chunk : chunk.subarray(from, at));
        this.#settle();
      } else if (this.#state === State.Head) at = this.#headBytes(chunk, at);
      else throw new ResponseError('the upstream sent bytes no request asked for');
    }
  }

  /** The upstream closed its side: ends a body read until close, else the response is cut. */
  eof(): void {
    if (this.#body.untilClose) {
      this.#reusable = false;
      this.#body.eof();
      this.#settle();
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

  #headBytes(chunk: Buffer, at: number): number {
    const head = this.#heads.read(chunk, at);
    if (!head) return chunk.length;
    this.#head(head);
    return head.next;
  }

  #head({ bytes, end }: Head): void {
    const eol = firstLineEnd(bytes, end);
    const code = statusCode(bytes, eol);
    if (code === 0) throw new ResponseError('the upstream sent no valid HTTP/1.x status line');
    const fields = this.#fields;
    if (!fields.scan(bytes, eol + 2, end)) {
      throw new ResponseError('the upstream sent a malformed header line');
    }
    let lengths: string | undefined;
    let codings: string | undefined;
    let close = bytes[7] === 0x30;
    this.keepAliveSeconds = undefined;
    for (let i = 0; i < fields.count; i++) {
      // Only the framing headers matter here (content-length, transfer-encoding, connection).
      switch (fields.name(i)) {
        case Name.ContentLength:
          lengths = joined(lengths, fields.value(i));
          break;
        case Name.TransferEncoding:
          codings = joined(codings, fields.value(i));
          break;
        case Name.Connection: {
          const value = fields.value(i);
          if (value !== KEEP_ALIVE && CLOSE.test(value)) close = true;
          break;
        }
        case Name.KeepAlive:
          this.keepAliveSeconds = keepAliveTimeout(fields.value(i)) ?? this.keepAliveSeconds;
          break;
      }
    }
    if (code < 200) {
      // 100 Continue, 102, 103: informational, not passed on; the real response follows.
      if (code === 101) throw new ResponseError('the upstream switched protocols unasked');
      this.#state = State.Head;
      return;
    }
    // Framing is settled before the head is passed on: a response refused here gets a 502.
    const noBody = this.#method === 'HEAD' || code === 204 || code === 304;
    const framing = noBody
      ? 0
      : bodyFraming(lengths, codings, 'response', (why) => new ResponseError(why));
    // A body with no framing runs until the upstream closes: that connection is not reused.
    this.#reusable = !close && framing !== UNFRAMED;
    this.#sink.head(code, reasonOf(bytes, eol), fields, framing === CHUNKED);
    this.#state = State.Body;
    if (framing === CHUNKED) this.#body.chunked();
    else if (framing === UNFRAMED) this.#body.readUntilClose();
    else this.#body.fixed(framing);
    this.#settle();
  }

  /** Ends the response if its body has ended. */
  #settle(): void {
    if (!this.#bodyDone) return;
    this.#bodyDone = false;
    this.#finish();
  }

  #finish(): void {
    this.#state = State.Idle;
    this.#heads.clear();
    this.#sink.end(this.#reusable);
  }
}
