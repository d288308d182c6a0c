import { describe, expect, it } from 'vitest';
import { mutator } from './mutate.test-support.ts';
import {
  CHUNKED,
  CONNECT,
  expectOneRequest,
  feed,
  feedCuts,
  GET,
  GET_HEAD,
  newRun,
  POST,
  type Run,
  refusal,
  request,
  TLS_BYTES,
  thrown,
  UPGRADE,
} from './request-parser.test-support.ts';
import type { RequestError } from './request-parser.ts';

describe('RequestParser: reading requests', () => {
  it('reads a GET with headers, split at every byte and at every size', () => {
    const check = (run: Run) => expectOneRequest(run, GET_HEAD, '', GET);
    for (let cut = 0; cut <= GET.length; cut++) check(feedCuts(newRun(), GET, [cut]));
    for (let size = 1; size <= GET.length; size++) check(feed(GET, size));
  });

  it('reads a Content-Length body split at every byte: data, then end', () => {
    const head = request({
      method: 'POST',
      url: '/up',
      rawHeaders: ['host', 'a.test', 'Content-Length', '11', 'Connection', 'keep-alive'],
      host: 'a.test',
      body: 'fixed',
      length: 11,
    });
    const check = (run: Run) => expectOneRequest(run, head, 'hello world', POST);
    for (let cut = 0; cut <= POST.length; cut++) check(feedCuts(newRun(), POST, [cut]));
    for (let size = 1; size <= POST.length; size++) check(feed(POST, size));
    // A byte at a time, a body byte is one data call.
    expect(feed(POST, 1).dataCalls).toEqual([11]);
  });

  it('decodes a chunked body with extensions and trailers, split at every byte', () => {
    const head = request({
      method: 'POST',
      url: '/up',
      rawHeaders: ['Host', 'a.test', 'Transfer-Encoding', 'chunked'],
      host: 'a.test',
      body: 'chunked',
    });
    const check = (run: Run) => expectOneRequest(run, head, 'hello 0123456789', CHUNKED);
    for (let cut = 0; cut <= CHUNKED.length; cut++) check(feedCuts(newRun(), CHUNKED, [cut]));
    for (let size = 1; size <= CHUNKED.length; size++) check(feed(CHUNKED, size));
    for (let a = 60; a < CHUNKED.length; a += 3) {
      for (let b = a; b < CHUNKED.length; b += 5) check(feedCuts(newRun(), CHUNKED, [a, b]));
    }
  });

  it('accepts chunked and a list of one chunked in any case, and reads zero-length bodies', () => {
    for (const coding of ['chunked', 'CHUNKED', ' Chunked ', ', chunked,']) {
      const run = feed(
        `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ${coding}\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
      );
      expect(run.heads[0]!.body).toBe('chunked');
      expect(run.bodies).toEqual(['abc']);
    }
    const empty = feed('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
    expect([empty.bodies, empty.log]).toEqual([[''], 'he']);
    const zero = feed('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n');
    expect([zero.heads[0]!.body, zero.heads[0]!.length, zero.log]).toEqual(['none', 0, 'he']);
  });

  it('stops at the end of each pipelined request and returns the offset of the next', () => {
    const requests = [GET, POST, CHUNKED, 'GET /last HTTP/1.0\r\n\r\n'];
    const all = Buffer.from(requests.join(''), 'latin1');
    const run = newRun();
    const { parser, heads, bodies } = run;
    let at = 0;
    for (let i = 0; i < requests.length; i++) {
      const next = parser.push(all, at);
      at += requests[i]!.length;
      expect(next).toBe(at);
      expect(heads.length).toBe(i + 1);
      expect(parser.idle).toBe(true);
    }
    expect(heads.map((h) => h.url)).toEqual(['http://example.com/a?b=c', '/up', '/up', '/last']);
    expect(bodies).toEqual(['', 'hello world', 'hello 0123456789', '']);
    expect(run.log).toMatch(/^heh(d+)eh(d+)ehe$/);
    // The same stream in pieces: every request ends where the next begins.
    for (const size of [1, 2, 7, 64, all.length]) {
      const run = feed(all.toString('latin1'), size);
      expect(run.ends).toEqual([
        requests[0]!.length,
        requests[0]!.length + requests[1]!.length,
        all.length - requests[3]!.length,
        all.length,
      ]);
      expect(run.bodies).toEqual(bodies);
      expect(run.violations).toEqual([]);
    }
  });

  it('skips empty lines before a request line, whole and split, and between requests', () => {
    const text = `\r\n\r\n${GET}\r\n${POST}\r\n\r\n`;
    for (let size = 1; size <= text.length; size++) {
      const run = feed(text, size);
      expect(run.heads).toEqual([GET_HEAD, expect.objectContaining({ url: '/up', length: 11 })]);
      expect(run.bodies).toEqual(['', 'hello world']);
      expect(run.ends).toEqual([4 + GET.length, 4 + GET.length + 2 + POST.length]);
      expect(run.violations).toEqual([]);
      // The trailing empty lines are read and leave the parser between requests.
      expect(run.parser.idle).toBe(true);
      expect(run.parser.eof()).toBe(true);
    }
    const { parser } = newRun();
    expect(parser.push(Buffer.from('\r\n\r\n\r\n'))).toBe(6);
    expect(parser.eof()).toBe(true);
  });

  it('refuses a bare LF before a request line or as a line end', () => {
    for (const text of [
      `\n${GET}`,
      `\r\n\n${GET}`,
      `\r${GET}`,
      'GET / HTTP/1.1\nHost: a\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: a\n\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: a\r\nX: b\r\r\n\r\n',
    ]) {
      expect(refusal(text).status).toBe(400);
    }
  });

  it('hands the connection over after a CONNECT head: the offset after it, then push throws', () => {
    const text = CONNECT + TLS_BYTES;
    const bytes = Buffer.from(text, 'latin1');
    const run = newRun();
    const { parser, heads } = run;
    expect(parser.push(bytes)).toBe(CONNECT.length);
    expect(heads).toEqual([
      request({
        method: 'CONNECT',
        url: 'example.com:443',
        rawHeaders: ['Host', 'example.com:443'],
        host: 'example.com:443',
      }),
    ]);
    expect(run.log).toBe('h');
    expect(thrown(() => parser.push(bytes, CONNECT.length))?.status).toBe(400);
    expect(
      thrown(() => parser.push(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n')))?.status,
    ).toBe(400);
    expect(heads.length).toBe(1);
    expect(run.log).toBe('h');
    for (let size = 1; size <= text.length; size++) {
      const run = feed(text, size);
      expect(run.stopped).toBe(CONNECT.length);
      expect([run.heads.length, run.log]).toEqual([1, 'h']);
    }
    // A CONNECT stating an empty body is no body.
    const empty = 'CONNECT a:443 HTTP/1.0\r\nContent-Length: 0\r\n\r\n';
    expect(feed(`${empty}${TLS_BYTES}`).stopped).toBe(empty.length);
  });

  it('hands the connection over after an upgrade head (Upgrade named in Connection)', () => {
    const text = `${UPGRADE}\x81\x05hello`;
    const bytes = Buffer.from(text, 'latin1');
    const run = newRun();
    const { parser, heads } = run;
    expect(parser.push(bytes)).toBe(UPGRADE.length);
    expect(heads[0]).toEqual(
      request({
        url: '/chat',
        rawHeaders: [
          'Host',
          'a.test',
          'Upgrade',
          'websocket',
          'Connection',
          'keep-alive, Upgrade',
          'Sec-WebSocket-Version',
          '13',
        ],
        host: 'a.test',
        upgrade: true,
      }),
    );
    expect(run.log).toBe('h');
    expect(thrown(() => parser.push(bytes, UPGRADE.length))?.status).toBe(400);
    for (let size = 1; size <= text.length; size++) {
      expect(feed(text, size).stopped).toBe(UPGRADE.length);
    }
    // Upgrade without the token in Connection, or the token without Upgrade: a plain request.
    for (const fields of ['Upgrade: websocket\r\n', 'Connection: upgrade\r\n']) {
      const run = feed(
        `GET / HTTP/1.1\r\nHost: a\r\n${fields}\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n`,
      );
      expect(run.heads.map((h) => h.upgrade)).toEqual([false, false]);
    }
  });

  it('trims only SP and HTAB around values, and keeps obs-text bytes', () => {
    const run = feed('GET / HTTP/1.1\r\nHost: a\r\nX: \t\xa0a \xff\tb\xa0 \r\nY:\xe9\r\n\r\n');
    expect(run.heads[0]!.rawHeaders).toEqual(['Host', 'a', 'X', '\xa0a \xff\tb\xa0', 'Y', '\xe9']);
  });

  it('accepts the same Content-Length repeated, and takes its value', () => {
    for (const fields of [
      'Content-Length: 5\r\nContent-Length: 5',
      'Content-Length: 5\r\ncontent-length:5 ',
      'Content-Length: 5, 5',
      'Content-Length: 5,5\r\nContent-Length: 5',
      'Content-Length: 005',
    ]) {
      const run = feed(`POST / HTTP/1.1\r\nHost: a\r\n${fields}\r\n\r\nhelloGET`);
      expect([run.heads[0]!.body, run.heads[0]!.length, run.bodies[0]]).toEqual([
        'fixed',
        5,
        'hello',
      ]);
    }
    const big = feed('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 999999999999999\r\n\r\nab');
    expect(big.heads[0]!.length).toBe(999_999_999_999_999);
    expect(big.parser.eof()).toBe(false);
  });

  it('accepts HTTP/1.0 without Host, HTTP/1.0 with one, and any method token', () => {
    const run = feed('GET http://a/ HTTP/1.0\r\n\r\n');
    expect(run.heads).toEqual([
      request({ url: 'http://a/', version: 0, keepAlive: false, host: undefined }),
    ]);
    expect(feed('GET / HTTP/1.0\r\nHost: b\r\n\r\n').heads[0]!.host).toBe('b');
    expect(feed('OPTIONS * HTTP/1.1\r\nHost: b\r\n\r\n').heads[0]!.url).toBe('*');
    expect(feed("M-SEARCH!#$%&'*+.^_`|~ / HTTP/1.1\r\nHost: b\r\n\r\n").heads.length).toBe(1);
    // An empty Host is allowed (a target without an authority).
    expect(feed('GET / HTTP/1.1\r\nHost:\r\n\r\n').heads[0]!.host).toBe('');
  });

  it('keeps the connection alive unless Connection: close or HTTP/1.0', () => {
    const cases: [string, string, boolean][] = [
      ['1.1', '', true],
      ['1.1', 'Connection: keep-alive\r\n', true],
      ['1.1', 'Connection: closed\r\n', true],
      ['1.1', 'Connection: close\r\n', false],
      ['1.1', 'connection: CLOSE\r\n', false],
      ['1.1', 'Connection: keep-alive, close\r\n', false],
      ['1.1', 'Connection: keep-alive\r\nConnection:  close \r\n', false],
      ['1.1', 'Connection: ,\tclose,\r\n', false],
      ['1.0', '', false],
      ['1.0', 'Connection: keep-alive\r\n', false],
    ];
    for (const [version, fields, keepAlive] of cases) {
      const run = feed(`GET / HTTP/${version}\r\nHost: a\r\n${fields}\r\n`);
      expect([version, fields, run.heads[0]!.keepAlive]).toEqual([version, fields, keepAlive]);
    }
  });

  it('sets expectContinue for Expect: 100-continue, in any case', () => {
    for (const value of ['100-continue', '100-Continue', ' 100-CONTINUE\t']) {
      const run = feed(
        `PUT / HTTP/1.1\r\nHost: a\r\nExpect: ${value}\r\nContent-Length: 1\r\n\r\n`,
      );
      expect(run.heads[0]!.expectContinue).toBe(true);
      expect(run.parser.eof()).toBe(false);
    }
    expect(feed('PUT / HTTP/1.1\r\nHost: a\r\n\r\n').heads[0]!.expectContinue).toBe(false);
  });

  it('tells eof() true between requests, false in the middle of a head or a body', () => {
    const { parser } = newRun();
    expect(parser.eof()).toBe(true);
    expect([parser.idle, parser.headStarted]).toEqual([true, false]);
    const text = Buffer.from(`${POST}${CHUNKED}`, 'latin1');
    let at = parser.push(text.subarray(0, 10));
    expect(at).toBe(10);
    expect(parser.eof()).toBe(false);
    expect([parser.idle, parser.headStarted]).toEqual([false, true]);
    expect(parser.partialHead?.toString('latin1')).toBe(POST.slice(0, 10));
    at = parser.push(text.subarray(0, POST.length - 3), 10);
    expect(parser.eof()).toBe(false);
    expect([parser.idle, parser.headStarted, parser.partialHead]).toEqual([
      false,
      false,
      undefined,
    ]);
    expect(parser.push(text.subarray(0, POST.length), at)).toBe(POST.length);
    expect(parser.eof()).toBe(true);
    expect(parser.idle).toBe(true);
    // In a chunked body: after its head, in a chunk, in the trailers.
    for (const inside of ['0123', '0;last\r\nTrailer-X: y\r\n', '0;last\r\n']) {
      const stop = POST.length + CHUNKED.indexOf(inside) + inside.length;
      const run = newRun();
      feedCuts(run, text.toString('latin1').slice(0, stop), []);
      expect([inside, run.parser.eof()]).toEqual([inside, false]);
    }
    const whole = feed(text.toString('latin1'));
    expect(whole.parser.eof()).toBe(true);
  });
});

describe('RequestParser: refusals', () => {
  const head = (fields: string, line = 'POST / HTTP/1.1') => `${line}\r\nHost: a\r\n${fields}\r\n`;
  const chunked = (body: string) =>
    `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${body}`;
  /** One 400 case per value of the header `name`, each refused with `reason`. */
  const badValues = (name: string, reason: RegExp, values: string[]) =>
    values.map((value): [string, string, number, RegExp] => [
      `${name}: ${JSON.stringify(value)}`,
      head(`${name}: ${value}\r\n`),
      400,
      reason,
    ]);
  const cases: [string, string, number, RegExp][] = [
    [
      'Content-Length with Transfer-Encoding',
      head('Content-Length: 3\r\nTransfer-Encoding: chunked\r\n'),
      400,
      /both/,
    ],
    [
      'Transfer-Encoding with Content-Length',
      head('Transfer-Encoding: chunked\r\nContent-Length: 3\r\n'),
      400,
      /both/,
    ],
    [
      'Transfer-Encoding with Content-Length: 0',
      head('Transfer-Encoding: chunked\r\nContent-Length: 0\r\n'),
      400,
      /both/,
    ],
    [
      'two different Content-Lengths',
      head('Content-Length: 1\r\nContent-Length: 2\r\n'),
      400,
      /invalid Content-Length/,
    ],
    [
      'two Content-Lengths in one line',
      head('Content-Length: 1, 2\r\n'),
      400,
      /invalid Content-Length/,
    ],
    ...badValues('Content-Length', /invalid Content-Length/, [
      '1a',
      '-1',
      '+1',
      '',
      ' ',
      '1 1',
      '0x10',
      '1.0',
      '1e3',
      '5,',
      ',5',
      '9999999999999999',
      '5\xa0',
      '\xa05',
      '\u00a0',
    ]),
    ...badValues('Transfer-Encoding', /only transfer coding/, [
      'gzip',
      'chunked, chunked',
      'gzip, chunked',
      'chunked, gzip',
      'xchunked',
      'chunked;q=1',
      'identity',
      '',
      'chunked\xa0',
      '\xa0chunked',
    ]),
    [
      'Transfer-Encoding: chunked twice',
      head('Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n'),
      400,
      /only transfer coding/,
    ],
    [
      'Transfer-Encoding in HTTP/1.0',
      head('Transfer-Encoding: chunked\r\n', 'POST / HTTP/1.0'),
      400,
      /HTTP\/1.0/,
    ],
    ['obs-fold (space)', head('X: a\r\n b\r\n'), 400, /header line/],
    ['obs-fold (tab)', head('X: a\r\n\tb\r\n'), 400, /header line/],
    ['a first header line folded', 'GET / HTTP/1.1\r\n Host: a\r\n\r\n', 400, /header line/],
    ['space before the colon', head('Content-Length : 1\r\n'), 400, /header line/],
    ['tab before the colon', head('X\t: 1\r\n'), 400, /header line/],
    ['an empty field name', head(': a\r\n'), 400, /header line/],
    ['a line without a colon', head('no colon\r\n'), 400, /header line/],
    ['a field name that is no token', head('X(y): 1\r\n'), 400, /header line/],
    ['a non-ASCII field name', head('X\xe9: 1\r\n'), 400, /header line/],
    ...[
      ['NUL', '\0'],
      ['SOH', '\x01'],
      ['VT', '\x0b'],
      ['FF', '\x0c'],
      ['ESC', '\x1b'],
      ['DEL', '\x7f'],
      ['a bare CR', '\r'],
      ['a bare LF', '\n'],
    ].map(([name, c]): [string, string, number, RegExp] => [
      `${name} in a value`,
      head(`X: a${c}b\r\n`),
      400,
      /header line/,
    ]),
    ['NUL in a Host', 'GET / HTTP/1.1\r\nHost: a\0.evil\r\n\r\n', 400, /header line/],
    ['a bare LF line end', head('X: a\nY: b\r\n'), 400, /header line/],
    ['no Host in HTTP/1.1', 'GET / HTTP/1.1\r\nX: a\r\n\r\n', 400, /no Host/],
    ['two Hosts', 'GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n', 400, /more than one Host/],
    ['the same Host twice', 'GET / HTTP/1.1\r\nHost: a\r\nHOST: a\r\n\r\n', 400, /more than one/],
    ['two Hosts in HTTP/1.0', 'GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n', 400, /more than one/],
    ...['HTTP/2.0', 'HTTP/1.2', 'HTTP/0.9', 'HTTP/3.1', 'HTTP/1.9'].map(
      (version): [string, string, number, RegExp] => [
        version,
        `GET / ${version}\r\nHost: a\r\n\r\n`,
        505,
        /not supported/,
      ],
    ),
    ...[
      'GET /',
      'GET / HTTP/1.1 ',
      'GET  / HTTP/1.1',
      ' GET / HTTP/1.1',
      'GET\t/ HTTP/1.1',
      'GET / http/1.1',
      'GET / HTTP/11',
      'GET / HTTP/1',
      'GET / HTTP/1.10',
      'GET / HTTP/2',
      'G(T / HTTP/1.1',
      '/ HTTP/1.1',
      'GET HTTP/1.1',
      'GET / HTTP/1.1\0',
      'GET / HTTP/1.1.1',
    ].map((line): [string, string, number, RegExp] => [
      `the request line ${JSON.stringify(line)}`,
      `${line}\r\nHost: a\r\n\r\n`,
      400,
      /request line/,
    ]),
    ...[
      ['a space', '/a b'],
      ['a Latin-1 byte', '/caf\xe9'],
      ['UTF-8 bytes', Buffer.from('/café', 'utf8').toString('latin1')],
      ['DEL', '/a\x7f'],
      ['NUL', '/a\0'],
      ['a tab', '/a\tb'],
    ].map(([name, target]): [string, string, number, RegExp] => [
      `${name} in the request-target`,
      `GET ${target} HTTP/1.1\r\nHost: a\r\n\r\n`,
      400,
      /request line/,
    ]),
    ...['200-ok', '100-continue, foo', 'foo', '', '100-continuex'].map(
      (value): [string, string, number, RegExp] => [
        `Expect: ${JSON.stringify(value)}`,
        head(`Expect: ${value}\r\n`),
        417,
        /100-continue/,
      ],
    ),
    [
      'CONNECT with a Content-Length body',
      'CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\nContent-Length: 5\r\n\r\nhello',
      400,
      /CONNECT request with a body/,
    ],
    [
      'CONNECT with a chunked body',
      'CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      400,
      /CONNECT request with a body/,
    ],
    [
      'an upgrade with a Content-Length body',
      `${UPGRADE.slice(0, -2)}Content-Length: 3\r\n\r\nabc`,
      400,
      /upgrade request with a body/,
    ],
    [
      'an upgrade with a chunked body',
      `${UPGRADE.slice(0, -2)}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      400,
      /upgrade request with a body/,
    ],
    ...['g', '-1', ' 1', '1 ', '', '0x1', '1\t', '+1', '1;a\rb', '1;a\0'].map(
      (size): [string, string, number, RegExp] => [
        `the chunk size ${JSON.stringify(size)}`,
        chunked(`${size}\r\nx\r\n0\r\n\r\n`),
        400,
        /invalid chunk size/,
      ],
    ),
    [
      'a chunk size of 13 hex digits',
      chunked('0000000000001\r\nx\r\n0\r\n\r\n'),
      400,
      /invalid chunk size/,
    ],
    [
      'a chunk-size line over 4 KiB',
      chunked(`1;${'e'.repeat(5000)}\r\nx\r\n0\r\n\r\n`),
      400,
      /too long/,
    ],
    [
      'a chunk-size line over 4 KiB without its end',
      chunked(`1;${'e'.repeat(5000)}`),
      400,
      /too long/,
    ],
    [
      'chunk data longer than its size',
      chunked('1\r\nxy\r\n0\r\n\r\n'),
      400,
      /does not end with CRLF/,
    ],
    ['chunk data ended by LF alone', chunked('1\r\nx\n0\r\n\r\n'), 400, /does not end with CRLF/],
    ['chunk data ended by CR alone', chunked('1\r\nx\r0\r\n\r\n'), 400, /does not end with CRLF/],
    ['a chunk-size line ended by LF', chunked('1\nx\r\n0\r\n\r\n'), 400, /does not end with CRLF/],
    ['a last-chunk line ended by LF', chunked('0\n\r\n'), 400, /does not end with CRLF/],
    ['a trailer ended by LF', chunked('0\r\nX: y\n\r\n'), 400, /does not end with CRLF/],
    ['a malformed trailer', chunked('0\r\nbad trailer\r\n\r\n'), 400, /malformed trailer/],
    ['a folded trailer', chunked('0\r\nX: y\r\n z\r\n\r\n'), 400, /malformed trailer/],
    ['a trailer with a control byte', chunked('0\r\nX: a\x01b\r\n\r\n'), 400, /trailer/],
    ['a space before a trailer colon', chunked('0\r\nX : y\r\n\r\n'), 400, /trailer/],
  ];

  it.each(cases)('refuses %s', (_name, text, status, message) => {
    const error = refusal(text);
    expect(error.status).toBe(status);
    expect(error.message).toMatch(message);
    expect(error.code).toBe('SBX_CLIENT_REQUEST');
  });

  it('refuses a head over 64 KiB (431), with or without its end in the buffer', () => {
    const big = `GET / HTTP/1.1\r\nHost: a\r\nX: ${'a'.repeat(70_000)}`;
    for (const text of [`${big}\r\n\r\n`, big, `${big}\r\n`]) {
      for (const size of [1 << 20, 4096, 65_536, 65_537]) {
        const error = refusal(text, [size]);
        expect(error.status).toBe(431);
        expect(error.message).toMatch(/too large/);
      }
    }
    // Many small header lines add up the same.
    const many = `GET / HTTP/1.1\r\nHost: a\r\n${'X-Y: z\r\n'.repeat(9000)}\r\n`;
    expect(refusal(many, [1 << 20, 1000]).status).toBe(431);
  });

  it('accepts a head of exactly 64 KiB, whole and split', () => {
    const start = 'GET / HTTP/1.1\r\nHost: a\r\nX: ';
    const text = `${start}${'a'.repeat(65_536 - start.length - 4)}\r\n\r\n`;
    expect(text.length).toBe(65_536);
    for (const size of [1 << 20, 1000, 65_535]) {
      const run = feed(text, size);
      expect(run.heads.length).toBe(1);
      expect(run.ends).toEqual([65_536]);
    }
  });

  it('refuses or accepts a head near 64 KiB the same however it is split', () => {
    // A head's fate must not depend on how TCP segmented it.
    const start = 'GET / HTTP/1.1\r\nHost: a\r\nX: ';
    const outcome = (text: string, cut: number) => {
      try {
        return feedCuts(newRun(), text, [cut]).heads.length === 1 ? 'accepted' : 'pending';
      } catch (error) {
        return `refused ${(error as RequestError).status}`;
      }
    };
    const seen: string[] = [];
    for (let length = 65_532; length <= 65_545; length++) {
      const text = `${start}${'a'.repeat(length - start.length - 4)}\r\n\r\n`;
      const whole = outcome(text, text.length);
      for (let cut = length - 8; cut < length; cut++) {
        const split = outcome(text, cut);
        if (split !== whole)
          seen.push(`${length}-byte head: ${whole} whole, ${split} cut at ${cut}`);
      }
    }
    expect(seen).toEqual([]);
  });

  it('refuses a chunked trailer section over 64 KiB', () => {
    const trailers = 'X-T: 0123456789012345678901234567890123456789\r\n'.repeat(1500);
    const error = refusal(
      `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n${trailers}\r\n`,
      [1 << 20, 4096],
    );
    expect([error.status, error.message]).toEqual([400, expect.stringMatching(/too long/)]);
  });

  it('puts the start of the refused head in RequestError.raw, for the log', () => {
    const line = 'GET http://example.com/secret?x=1 HTTP/1.1';
    for (const size of [1 << 20, 1, 7]) {
      const error = refusal(`\r\n${line}\r\nHost: a\r\nX : b\r\n\r\n`, [size]);
      expect(error.raw?.toString('latin1')).toBe(`${line}\r\nHost: a\r\nX : b`);
    }
    expect(refusal(`GET / HTTP/2.0\r\nHost: a\r\n\r\n`).raw?.toString('latin1')).toBe(
      'GET / HTTP/2.0\r\nHost: a',
    );
    // A head too large: its start, bounded.
    const big = refusal(`${line}\r\nHost: a\r\nX: ${'a'.repeat(70_000)}`, [1 << 20, 8192]);
    expect(big.raw?.toString('latin1').startsWith(`${line}\r\nHost: a\r\nX: aaa`)).toBe(true);
    expect(big.raw!.length).toBeGreaterThan(line.length);
    expect(big.raw!.length).toBeLessThanOrEqual(8300);
    // raw is a copy: it does not change when the bytes it came from are reused.
    const bytes = Buffer.from(`${line}\r\nX: a\r\n\r\n`, 'latin1');
    let error: RequestError | undefined;
    try {
      newRun().parser.push(bytes);
    } catch (e) {
      error = e as RequestError;
    }
    expect(error?.status).toBe(400);
    bytes.fill(0x21);
    expect(error?.raw?.toString('latin1')).toBe(`${line}\r\nX: a`);
    // The second of two pipelined requests: its own head, not the first one's.
    const second = refusal(`${GET}${line}\r\n\r\n`);
    expect(second.raw?.toString('latin1')).toBe(line);
  });
});

describe('RequestParser: what RFC 9110 and 9112 require of a server', () => {
  it('ignores Upgrade in an HTTP/1.0 request (RFC 9110 7.8: MUST ignore)', () => {
    const text =
      'GET /chat HTTP/1.0\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n' +
      'GET /admin HTTP/1.0\r\nHost: a\r\n\r\n';
    const run = feed(text);
    expect(run.heads[0]!.upgrade).toBe(false);
    // The bytes after it are the next request, read and filtered like any other.
    expect(run.heads.map((h) => h.url)).toEqual(['/chat', '/admin']);
  });

  it('ignores Expect: 100-continue in an HTTP/1.0 request (RFC 9110 10.1.1: MUST ignore)', () => {
    const run = feed('PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx');
    expect(run.heads[0]!.expectContinue).toBe(false);
  });

  it('refuses a Host with an invalid field value (RFC 9112 3.2: MUST respond 400)', () => {
    for (const host of ['a b', 'a/b', 'user@a', 'a:b', 'a\tb', 'a:80:80']) {
      const error = refusal(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`, [1 << 20]);
      expect([host, error.status]).toEqual([host, 400]);
    }
  });

  it('reads a request line exactly as RFC 9112 has it (mutated lines against a reference)', () => {
    // The reference: the grammar as one regular expression (a token, a target of visible
    // ASCII, HTTP/ DIGIT . DIGIT), then 505 for versions other than 1.0 and 1.1.
    const grammar = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([\x21-\x7e]+) HTTP\/(\d)\.(\d)$/;
    const samples = [
      'GET / HTTP/1.1',
      'POST /a?b=c HTTP/1.0',
      'GETX /x HTTP/1.1',
      'DELETE * HTTP/1.1',
      'GET  / HTTP/1.1',
      'GET / HTTP/1.12',
      'GET / HTTP/2.0',
    ];
    const { random, mutate } = mutator(11, ' \t\0\x7f\xe90123456789HTP/.GETX*?@:');
    for (let round = 0; round < 3000; round++) {
      const sample = samples[random(samples.length)]!;
      const line = mutate(sample, random(3));
      const expected = grammar.exec(line);
      const text = `${line}\r\nHost: a\r\n\r\n`;
      const error = thrown(() => feed(text));
      if (!expected) {
        expect(error?.status, JSON.stringify(line)).toBe(400);
        continue;
      }
      if (expected[3] !== '1' || (expected[4] !== '0' && expected[4] !== '1')) {
        expect(error?.status, JSON.stringify(line)).toBe(505);
        continue;
      }
      // Refused for what follows the line only (a CONNECT target, say): not this test's part.
      if (error) continue;
      const head = feed(text).heads[0]!;
      expect([head.method, head.url, head.version], JSON.stringify(line)).toEqual([
        expected[1],
        expected[2],
        expected[4] === '1' ? 1 : 0,
      ]);
    }
  });
});
