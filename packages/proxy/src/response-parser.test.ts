import { describe, expect, it } from 'vitest';
import { mutator } from './mutate.test-support.ts';
import { ResponseError, ResponseParser } from './response-parser.ts';

interface Parsed {
  heads: { status: number; reason: string; headers: string[] }[];
  body: string;
  /** The body's bytes as they came, framing included. */
  raw: string;
  ends: boolean[];
}

function collector(): { parser: ResponseParser; out: Parsed } {
  const out: Parsed = { heads: [], body: '', raw: '', ends: [] };
  const parser = new ResponseParser({
    head: (status, reason, fields) => out.heads.push({ status, reason, headers: fields.list() }),
    data: (chunk) => {
      out.body += chunk.toString('latin1');
    },
    raw: (bytes) => {
      // Passed on before the response ends, never after.
      expect(out.ends.length).toBe(out.heads.length - 1);
      out.raw += bytes.toString('latin1');
    },
    end: (reusable) => out.ends.push(reusable),
  });
  return { parser, out };
}

/** Feeds `text` in pieces of `size` bytes (every split point gets tried by the callers). */
function feed(parser: ResponseParser, text: string, size: number): void {
  const bytes = Buffer.from(text, 'latin1');
  for (let at = 0; at < bytes.length; at += size) parser.push(bytes.subarray(at, at + size));
}

function parse(text: string, method = 'GET', size = 1 << 20): Parsed {
  const { parser, out } = collector();
  parser.expect(method);
  feed(parser, text, size);
  return out;
}

function failure(text: string, method = 'GET'): string {
  try {
    const { parser } = collector();
    parser.expect(method);
    parser.push(Buffer.from(text, 'latin1'));
    parser.eof();
  } catch (error) {
    expect(error).toBeInstanceOf(ResponseError);
    return (error as Error).message;
  }
  throw new Error('parsed without an error');
}

const CHUNKED =
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A:  spaced \t\r\n\r\n' +
  '5;name=value\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nTrailer-X: y\r\n\r\n';

describe('ResponseParser', () => {
  it('reads a Content-Length response split at every byte', () => {
    const text = 'HTTP/1.1 201 Created\r\nContent-Length: 11\r\nX-Y: z\r\n\r\nhello world';
    for (let size = 1; size <= text.length; size++) {
      const out = parse(text, 'GET', size);
      expect(out.heads).toEqual([
        { status: 201, reason: 'Created', headers: ['Content-Length', '11', 'X-Y', 'z'] },
      ]);
      expect(out.body).toBe('hello world');
      expect(out.ends).toEqual([true]);
    }
  });

  it('decodes a chunked body with extensions and trailers, split at every byte', () => {
    for (let size = 1; size <= CHUNKED.length; size++) {
      const out = parse(CHUNKED, 'GET', size);
      expect(out.heads[0]!.headers).toEqual(['Transfer-Encoding', 'chunked', 'X-A', 'spaced']);
      expect(out.body).toBe('hello world');
      expect(out.raw).toBe(CHUNKED.slice(CHUNKED.indexOf('\r\n\r\n') + 4));
      expect(out.ends).toEqual([true]);
    }
  });

  it('reads responses one after another on one connection', () => {
    const { parser, out } = collector();
    for (let i = 0; i < 3; i++) {
      parser.expect('GET');
      feed(parser, i === 1 ? CHUNKED : 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', 7);
      expect(parser.busy).toBe(false);
    }
    expect(out.body).toBe('okhello worldok');
    expect(out.ends).toEqual([true, true, true]);
  });

  it('knows the responses without a body', () => {
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', 'HEAD').ends).toEqual([true]);
    expect(parse('HTTP/1.1 204 No Content\r\n\r\n').ends).toEqual([true]);
    expect(parse('HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n').ends).toEqual([true]);
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n').ends).toEqual([true]);
  });

  it('skips informational responses and reads the final one', () => {
    const out = parse(
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n' +
        'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    );
    expect(out.heads.map((h) => h.status)).toEqual([200]);
    expect(out.body).toBe('ok');
  });

  it('reads a body without framing until the upstream closes, and does not reuse it', () => {
    const { parser, out } = collector();
    parser.expect('GET');
    feed(parser, 'HTTP/1.1 200 OK\r\n\r\nsome bytes', 3);
    expect(out.ends).toEqual([]);
    parser.eof();
    expect(out.body).toBe('some bytes');
    expect(out.ends).toEqual([false]);
  });

  it('does not reuse a connection the upstream means to close', () => {
    expect(parse('HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\n\r\n', 'HEAD').ends).toEqual([
      false,
    ]);
    expect(parse('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').ends).toEqual([false]);
    expect(parse('HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n').heads[0]!.reason).toBe('');
  });

  it('refuses framing that two parsers could read differently', () => {
    expect(
      failure('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n'),
    ).toMatch(/both Content-Length and Transfer-Encoding/);
    for (const length of ['1a', '-1', '1, 2', ' ', '1 1', '0x10', '9999999999999999']) {
      expect(failure(`HTTP/1.1 200 OK\r\nContent-Length: ${length}\r\n\r\n`)).toMatch(
        /invalid Content-Length/,
      );
    }
    expect(failure('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n')).toMatch(
      /invalid Content-Length/,
    );
    for (const coding of [
      'gzip',
      'chunked, chunked',
      'gzip, chunked',
      'chunked, gzip',
      'xchunked',
    ]) {
      expect(failure(`HTTP/1.1 200 OK\r\nTransfer-Encoding: ${coding}\r\n\r\n`)).toMatch(
        /unsupported transfer coding/,
      );
    }
  });

  it('refuses malformed heads', () => {
    const bad = [
      'HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n',
      'HTTP/1.1 200 OK\r\nX: a\nY: b\r\n\r\n',
      'HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n',
      'HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n',
      'HTTP/1.1 200 OK\r\nX : a\r\n\r\n',
      'HTTP/1.1 200 OK\r\n: a\r\n\r\n',
      'HTTP/1.1 200 OK\r\nno colon\r\n\r\n',
    ];
    for (const text of bad) expect(failure(text)).toMatch(/malformed header line/);
    for (const line of [
      'HTTP/2 200 OK',
      'HTTP/1.1 99 X',
      'HTTP/1.1 2000 X',
      'ICY 200 OK',
      'HTTP/1.1 200 O\x01K',
    ]) {
      expect(failure(`${line}\r\n\r\n`)).toMatch(/status line/);
    }
    expect(failure('HTTP/1.1 101 Switching Protocols\r\n\r\n')).toMatch(/switched protocols/);
    expect(failure(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(70_000)}\r\n\r\n`)).toMatch(/too large/);
    expect(failure(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(70_000)}`)).toMatch(/too large/);
  });

  it('refuses malformed chunked bodies', () => {
    const head = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
    for (const size of ['g', '1 ', ' 1', '', '-1', '1234567890abc', `1;${'e'.repeat(5000)}`]) {
      expect(failure(`${head}${size}\r\nx\r\n0\r\n\r\n`)).toMatch(/invalid chunk size|too long/);
    }
    expect(failure(`${head}1\r\nxy\r\n0\r\n\r\n`)).toMatch(/does not end with CRLF/);
    expect(failure(`${head}1\nx\r\n0\r\n\r\n`)).toMatch(/does not end with CRLF/);
    expect(failure(`${head}0\r\nbad trailer\r\n\r\n`)).toMatch(/malformed trailer/);
  });

  it('says when the upstream stops early or talks out of turn', () => {
    expect(failure('')).toMatch(/without responding/);
    expect(failure('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc')).toMatch(
      /middle of the response/,
    );
    const { parser } = collector();
    expect(() => parser.push(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'))).toThrow(
      /no request asked for/,
    );
    parser.expect('GET');
    expect(() =>
      parser.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nextra')),
    ).toThrow(/no request asked for/);
  });

  it('survives a fuzz of mutated responses with nothing but ResponseError', () => {
    const samples = [
      CHUNKED,
      'HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world',
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n',
      'HTTP/1.0 200 OK\r\n\r\nuntil close',
    ];
    const { random, mutate } = mutator(
      42,
      '\r\n:; \t0123456789abcdefABCDEF,\0\x7fHTTP/1.1 chunked content-length',
    );
    for (let round = 0; round < 5000; round++) {
      const sample = samples[random(samples.length)]!;
      const text = mutate(sample, random(4) + 1);
      const { parser, out } = collector();
      parser.expect(random(4) === 0 ? 'HEAD' : 'GET');
      try {
        feed(parser, text, random(text.length + 1) + 1);
        parser.eof();
      } catch (error) {
        expect(error).toBeInstanceOf(ResponseError);
      }
      expect(out.body.length).toBeLessThanOrEqual(text.length);
      expect(out.ends.length).toBeLessThanOrEqual(1);
    }
  });

  it('reads a status line exactly as RFC 9112 has it (mutated lines against a reference)', () => {
    // The reference: the grammar as one regular expression (status-code 100-999, a reason of
    // anything but control characters other than HTAB).
    const grammar = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: ([^\0-\x08\x0a-\x1f\x7f]*))?$/;
    const samples = [
      'HTTP/1.1 200 OK',
      'HTTP/1.0 404 Not Found',
      'HTTP/1.1 204',
      'HTTP/1.1 599 \xe9\tx',
      'HTTP/1.1 099 Low',
      'HTTP/1.2 200 OK',
      'HTTP/1.1 2000 OK',
    ];
    const { random, mutate } = mutator(7, ' \t\0\x7f\x1f\xff0123456789HTP/.1OK');
    for (let round = 0; round < 3000; round++) {
      const sample = samples[random(samples.length)]!;
      const line = mutate(sample, random(3));
      if (/[\r\n]/.test(line)) continue;
      const expected = grammar.exec(line);
      const text = `${line}\r\nContent-Length: 0\r\n\r\n`;
      if (!expected) {
        expect(failure(text), JSON.stringify(line)).toMatch(/status line/);
        continue;
      }
      const code = Number(expected[2]);
      if (code < 200) continue; // informational: no head is passed on
      const out = parse(text);
      expect(
        out.heads.map((h) => [h.status, h.reason]),
        JSON.stringify(line),
      ).toEqual([[code, expected[3] ?? '']]);
    }
  });
});
