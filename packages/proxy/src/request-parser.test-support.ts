import { expect } from 'vitest';
import { type ClientRequest, RequestError, RequestParser } from './request-parser.ts';

// What the request parser's tests share (request-parser.test.ts, request-parser.fuzz.test.ts):
// a recording sink, feeding at chosen split points, and sample requests.

/** A parsed head as the tests compare it: its fields as a flat [name, value, …] list. */
export type Parsed = Omit<ClientRequest, 'fields'> & { rawHeaders: string[] };

/** What a parser reported for one input, with the absolute offsets `push` returned. */
export interface Run {
  parser: RequestParser;
  heads: Parsed[];
  /** The body of each head, as the `data` calls delivered it. */
  bodies: string[];
  /** The `data` calls of each head (split feeds deliver a body in several). */
  dataCalls: number[];
  /** Where each finished request ended: the offset `push` returned when it ended. */
  ends: number[];
  /** head / data / end, in the order the sink saw them. */
  log: string;
  /** How many times `end` was called. */
  endCalls: number;
  /** Where feeding stopped: after a CONNECT or upgrade head, else the end of the input. */
  stopped: number;
  /** A sink call out of order, or a `push` that ended two requests at once. */
  violations: string[];
}

export function newRun(): Run {
  const run: Run = {
    parser: undefined as unknown as RequestParser,
    heads: [],
    bodies: [],
    dataCalls: [],
    ends: [],
    log: '',
    endCalls: 0,
    stopped: 0,
    violations: [],
  };
  let open = false;
  run.parser = new RequestParser({
    head: (request) => {
      if (open) run.violations.push('head inside a request');
      const { fields, ...rest } = request;
      run.heads.push({ ...rest, rawHeaders: fields.list() });
      run.bodies.push('');
      run.dataCalls.push(0);
      run.log += 'h';
      open = !(request.method === 'CONNECT' || request.upgrade);
    },
    data: (chunk) => {
      if (!open) run.violations.push('data outside a request');
      const i = run.bodies.length - 1;
      run.bodies[i] += chunk.toString('latin1');
      run.dataCalls[i]!++;
      run.log += 'd';
    },
    end: () => {
      if (!open) run.violations.push('end outside a request');
      open = false;
      run.endCalls++;
      run.log += 'e';
    },
  });
  return run;
}

export const handedOver = (run: Run) => {
  const last = run.heads.at(-1);
  return last !== undefined && (last.method === 'CONNECT' || last.upgrade);
};

/**
 * Feeds `text` in pieces ending at `cuts` (then at its end), each piece pushed from the offset
 * the previous `push` returned, until it is consumed or a CONNECT or upgrade head took it.
 */
export function feedCuts(run: Run, text: string, cuts: number[]): Run {
  const bytes = Buffer.from(text, 'latin1');
  let start = 0;
  for (const stop of [...cuts, bytes.length]) {
    const piece = bytes.subarray(start, stop);
    let at = 0;
    while (at < piece.length) {
      const ended = run.endCalls;
      const next = run.parser.push(piece, at);
      if (next <= at || next > piece.length) {
        throw new Error(`push(${at}) of ${piece.length} bytes returned ${next}`);
      }
      const endsNow = run.endCalls - ended;
      if (endsNow > 1) run.violations.push('one push ended two requests');
      if (endsNow === 1) run.ends.push(start + next);
      at = next;
      if (handedOver(run)) {
        run.stopped = start + at;
        return run;
      }
    }
    start = stop;
  }
  run.stopped = bytes.length;
  return run;
}

/**
 * `run` read exactly the one request `text`: `head`, then `body` (data calls, if any, then
 * its end), ending where `text` ends, in order, and the parser is left idle and clean.
 */
export function expectOneRequest(run: Run, head: Parsed, body: string, text: string): void {
  expect(run.heads).toEqual([head]);
  expect(run.bodies).toEqual([body]);
  expect(run.log).toMatch(body ? /^hd+e$/ : /^he$/);
  expect(run.ends).toEqual([text.length]);
  expect(run.violations).toEqual([]);
  expect(run.parser.idle).toBe(true);
  expect(run.parser.eof()).toBe(true);
}

/** The RequestError `fn` throws (anything else fails the test), or undefined. */
export function thrown(fn: () => unknown): RequestError | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RequestError);
    return error as RequestError;
  }
  return undefined;
}

/** Feeds `text` in pieces of `size` bytes. */
export function feed(text: string, size = 1 << 20, run = newRun()): Run {
  const cuts: number[] = [];
  for (let at = size; at < text.length; at += size) cuts.push(at);
  return feedCuts(run, text, cuts);
}

/** The error `text` is refused with, fed whole and a byte at a time (the same both ways). */
export function refusal(text: string, sizes = [1 << 20, 1]): RequestError {
  let first: RequestError | undefined;
  for (const size of sizes) {
    let caught: unknown;
    try {
      feed(text, size);
    } catch (error) {
      caught = error;
    }
    if (caught === undefined) throw new Error(`accepted (fed in pieces of ${size}): ${text}`);
    expect(caught).toBeInstanceOf(RequestError);
    const error = caught as RequestError;
    if (first) expect([error.status, error.message]).toEqual([first.status, first.message]);
    first ??= error;
  }
  return first!;
}

export function request(fields: Partial<Parsed>): Parsed {
  return {
    method: 'GET',
    url: '/',
    version: 1,
    rawHeaders: [],
    host: undefined,
    body: 'none',
    length: 0,
    expectContinue: false,
    keepAlive: true,
    upgrade: false,
    ...fields,
  };
}

export const GET =
  'GET http://example.com/a?b=c HTTP/1.1\r\nHost: example.com\r\nX-A:  spaced \t\r\n' +
  'Accept: */*\r\nX-Empty:\r\nX-Colon: a:b\r\n\r\n';
export const GET_HEAD = request({
  url: 'http://example.com/a?b=c',
  rawHeaders: [
    'Host',
    'example.com',
    'X-A',
    'spaced',
    'Accept',
    '*/*',
    'X-Empty',
    '',
    'X-Colon',
    'a:b',
  ],
  host: 'example.com',
});
export const POST =
  'POST /up HTTP/1.1\r\nhost: a.test\r\nContent-Length: 11\r\nConnection: keep-alive\r\n\r\n' +
  'hello world';
export const CHUNKED =
  'POST /up HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n' +
  '5;name=value\r\nhello\r\n1 ; x="y z"\r\n \r\na\r\n0123456789\r\n' +
  '0;last\r\nTrailer-X: y\r\nTrailer-Y:z\r\n\r\n';
export const CONNECT = 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n';
export const UPGRADE =
  'GET /chat HTTP/1.1\r\nHost: a.test\r\nUpgrade: websocket\r\n' +
  'Connection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n';
export const TLS_BYTES = '\x16\x03\x01\x00\x05hello';
