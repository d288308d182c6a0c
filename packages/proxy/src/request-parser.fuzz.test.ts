import { describe, expect, it } from 'vitest';
import {
  CHUNKED,
  CONNECT,
  feedCuts,
  GET,
  handedOver,
  newRun,
  POST,
  type Run,
  TLS_BYTES,
  thrown,
  UPGRADE,
} from './request-parser.test-support.ts';
import { RequestError } from './request-parser.ts';

function prng(seed: number): (n: number) => number {
  return (n) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) / 4_294_967_296) * n;
  };
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const CHUNK_LINE = /^([0-9A-Fa-f]{1,12})(?:[\t ]*;[^\0-\x08\x0a-\x1f\x7f]*)?$/;

/** An independent reading of a chunked body from `at`: its data, where it ends, or an error. */
function referenceChunked(
  text: string,
  at: number,
): { data: string; end?: number; error: boolean } {
  let data = '';
  let trailerBytes = 0;
  const line = (limit: number): string | undefined | null => {
    const lf = text.indexOf('\n', at);
    const length = (lf < 0 ? text.length : lf + 1) - at;
    if (length + trailerBytes > limit) return null;
    if (lf < 0) return undefined;
    const read = text.slice(at, lf + 1);
    at = lf + 1;
    return read.endsWith('\r\n') ? read.slice(0, -2) : null;
  };
  for (;;) {
    const sizeLine = line(4096);
    if (sizeLine === undefined) return { data, error: false };
    const size = sizeLine === null ? null : CHUNK_LINE.exec(sizeLine);
    if (!size) return { data, error: true };
    const n = Number.parseInt(size[1]!, 16);
    if (n === 0) {
      for (;;) {
        const trailer = line(65_536);
        if (trailer === undefined) return { data, error: false };
        if (trailer === null) return { data, error: true };
        if (trailer === '') return { data, end: at, error: false };
        const colon = trailer.indexOf(':');
        if (colon <= 0 || !TOKEN.test(trailer.slice(0, colon))) return { data, error: true };
        if (/[\0-\x08\x0a-\x1f\x7f]/.test(trailer)) return { data, error: true };
        trailerBytes += trailer.length + 2;
      }
    }
    const got = text.slice(at, at + n);
    data += got;
    at += got.length;
    if (got.length < n) return { data, error: false };
    for (const want of '\r\n') {
      if (at === text.length) return { data, error: false };
      if (text[at] !== want) return { data, error: true };
      at++;
    }
  }
}

/**
 * The checks of one fuzz round: each reported request against the bytes it came from. Returns
 * what is wrong (plain checks, not `expect`, to keep thousands of rounds fast).
 */
function checkRun(text: string, run: Run, error: unknown): string[] {
  const problems = [...run.violations];
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  let start = 0;
  for (let i = 0; i < run.heads.length; i++) {
    const req = run.heads[i]!;
    const body = run.bodies[i]!;
    // Where its head is: after any empty lines, up to the first empty line.
    let lineStart = start;
    while (text.startsWith('\r\n', lineStart)) lineStart += 2;
    const headEnd = text.indexOf('\r\n\r\n', lineStart);
    if (headEnd < 0) return [...problems, `head ${i} has no end in the input`];
    const bodyStart = headEnd + 4;
    // The head reported is exactly the one sent: its request line and every field, in order.
    const lines = text.slice(lineStart, headEnd).split('\r\n');
    check(`${req.method} ${req.url} HTTP/1.${req.version}` === lines[0], `request line ${i}`);
    const fields = lines.slice(1).flatMap((l) => {
      const colon = l.indexOf(':');
      return [l.slice(0, colon), l.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '')];
    });
    check(same(req.rawHeaders, fields), `fields of head ${i}: ${JSON.stringify(req.rawHeaders)}`);
    check(!req.rawHeaders.some((f) => /[\0-\x08\x0a-\x1f\x7f]/.test(f)), `control byte, head ${i}`);
    check(
      fields.every((f, j) => j % 2 === 1 || TOKEN.test(f)),
      `a field name that is no token, head ${i}`,
    );
    // Its framing, read independently from the fields.
    const named = (name: string) =>
      fields.flatMap((f, j) => (j % 2 === 0 && f.toLowerCase() === name ? [fields[j + 1]!] : []));
    const hosts = named('host');
    check(hosts.length <= 1 && (req.version === 0 || hosts.length === 1), `Hosts, head ${i}`);
    check(req.host === hosts[0], `host of head ${i}`);
    const codings = named('transfer-encoding');
    const lengths = named('content-length').flatMap((v) => v.split(','));
    if (codings.length) {
      check(same([req.body, req.version, lengths], ['chunked', 1, []]), `TE framing, head ${i}`);
      const list = codings
        .join(',')
        .replace(/[ \t,]/g, '')
        .toLowerCase();
      check(list === 'chunked', `codings ${list}, head ${i}`);
    } else if (lengths.length) {
      check(
        lengths.every((l) => /^[ \t]*\d+[ \t]*$/.test(l)),
        `Content-Length ${lengths}, head ${i}`,
      );
      check(new Set(lengths.map(Number)).size === 1, `Content-Lengths ${lengths}, head ${i}`);
      check(req.length === Number(lengths[0]), `length ${req.length}, head ${i}`);
      check(req.body === (req.length > 0 ? 'fixed' : 'none'), `CL framing, head ${i}`);
    } else {
      check(req.body === 'none' && req.length === 0, `framing without CL or TE, head ${i}`);
    }
    const end = run.ends[i];
    if (req.method === 'CONNECT' || req.upgrade) {
      check(i === run.heads.length - 1, 'a head after a CONNECT or upgrade');
      check(req.body === 'none' && body === '' && end === undefined, `hand-over ${i}`);
      check(run.stopped === bodyStart, `hand-over offset ${run.stopped}, not ${bodyStart}`);
      return problems;
    }
    // Its body: exactly the bytes its framing allows, and it ends where the framing ends.
    if (req.body === 'none') {
      check(body === '' && end === bodyStart, `request ${i} without a body ends at ${end}`);
    } else if (req.body === 'fixed') {
      if (end !== undefined) {
        check(end === bodyStart + req.length, `request ${i} ends at ${end}`);
        check(body === text.slice(bodyStart, end), `body of request ${i}`);
      } else {
        check(error === undefined, `an error in a fixed body, request ${i}`);
        check(body === text.slice(bodyStart), `partial body of request ${i}`);
        check(body.length < req.length, `partial body of request ${i} too long`);
      }
    } else {
      const reference = referenceChunked(text, bodyStart);
      check(body === reference.data, `chunked body of request ${i}: ${JSON.stringify(body)}`);
      check(end === reference.end, `chunked request ${i} ends at ${end}, not ${reference.end}`);
      if (end === undefined) {
        check((error !== undefined) === reference.error, `chunked error of request ${i}`);
      }
    }
    if (end === undefined) {
      check(i === run.heads.length - 1, `a head after unfinished request ${i}`);
      check(!run.parser.eof(), 'eof() in the middle of a body');
      return problems;
    }
    start = end;
  }
  check(run.ends.length === run.heads.length, 'ends without heads');
  return problems;
}

describe('RequestParser: fuzz', () => {
  it('survives mutated requests with nothing but RequestError, and frames bodies exactly', () => {
    const samples = [
      GET,
      POST,
      CHUNKED,
      `${CONNECT}${TLS_BYTES}`,
      `${UPGRADE}\x81\x02hi`,
      `\r\n${GET}${POST}\r\n${CHUNKED}GET /x HTTP/1.0\r\n\r\n`,
      'PUT /p HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n' +
        'Content-Length: 3\r\nConnection: close\r\n\r\nabcGET / HTTP/1.1\r\nHost: a\r\n\r\n',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n' +
        '3\r\nabc\r\n0\r\n\r\nPOST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nok',
    ];
    const random = prng(0x5eed);
    const pick = (n: number) => Math.floor(random(n));
    const inserts = ['\r', '\n', '\0', ' ', ':', '\r\n', '\t', ',', '0', 'a', ';', '\r\n\r\n'];
    const statuses = new Map<number, number>();
    let accepted = 0;
    const reached = new Map<string, number>();
    const failures: { text: string; problems: string[] }[] = [];
    for (let round = 0; round < 10_000; round++) {
      let text = samples[pick(samples.length)]!;
      for (let m = pick(4) + 1; m > 0; m--) {
        const at = pick(text.length + 1);
        switch (pick(5)) {
          case 0: // flip a byte
            text = text.slice(0, at) + String.fromCharCode(pick(256)) + text.slice(at + 1);
            break;
          case 1: // insert CR, LF, NUL, space, colon…
            text = text.slice(0, at) + inserts[pick(inserts.length)] + text.slice(at);
            break;
          case 2: // delete a byte
            text = text.slice(0, at) + text.slice(at + 1);
            break;
          case 3: // truncate
            text = text.slice(0, at);
            break;
          default: {
            // duplicate a slice somewhere
            const from = pick(text.length + 1);
            const copy = text.slice(from, from + pick(40) + 1);
            text = text.slice(0, at) + copy + text.slice(at);
          }
        }
      }
      const run = newRun();
      let error: unknown;
      try {
        const cuts: number[] = [];
        for (let c = pick(text.length + 1); c < text.length && cuts.length < 8; c += pick(60) + 1) {
          cuts.push(c);
        }
        feedCuts(run, text, cuts);
        // After a CONNECT or upgrade head, more bytes are refused.
        if (handedOver(run) && run.stopped < text.length) {
          const after = thrown(() => run.parser.push(Buffer.from(text, 'latin1'), run.stopped));
          if (after?.status !== 400) failures.push({ text, problems: ['bytes after a hand-over'] });
        }
      } catch (e) {
        if (!(e instanceof RequestError)) throw e;
        error = e;
        statuses.set(e.status, (statuses.get(e.status) ?? 0) + 1);
      }
      if (error === undefined) accepted++;
      for (const h of run.heads) {
        const kind = h.method === 'CONNECT' || h.upgrade ? 'hand-over' : h.body;
        reached.set(kind, (reached.get(kind) ?? 0) + 1);
      }
      const problems = checkRun(text, run, error);
      if (problems.length && failures.length < 5) failures.push({ text, problems });
    }
    expect(failures).toEqual([]);
    // The rounds reach every framing, both outcomes, and more than one refusal.
    const least = { none: 500, fixed: 500, chunked: 500, 'hand-over': 200 };
    for (const [kind, n] of Object.entries(least)) {
      expect([kind, (reached.get(kind) ?? 0) > n]).toEqual([kind, true]);
    }
    expect(accepted).toBeGreaterThan(2000);
    expect(statuses.get(400)).toBeGreaterThan(2000);
    expect([...statuses.keys()].every((s) => [400, 417, 431, 505].includes(s))).toBe(true);
    expect(statuses.size).toBeGreaterThanOrEqual(2);
  });
});
