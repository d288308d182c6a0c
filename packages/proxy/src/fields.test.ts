import { describe, expect, it } from 'vitest';
import { Fields, Name, nameOfText } from './fields.ts';
import { forwardedLines, headBytes } from './headers.ts';

/** Scans the header lines of `lines` (CRLF-separated, the head's blank line after them). */
function scan(lines: string): Fields | undefined {
  const bytes = Buffer.from(`${lines}\r\n\r\n`, 'latin1');
  const fields = new Fields();
  return fields.scan(bytes, 0, bytes.length - 4) ? fields : undefined;
}

describe('Fields', () => {
  it('finds each field, its value without surrounding whitespace', () => {
    const fields = scan('A: 1\r\nB:2\r\nC: \t spaced  value \t\r\nEmpty:\r\nD:   ')!;
    expect(fields.list()).toEqual(['A', '1', 'B', '2', 'C', 'spaced  value', 'Empty', '', 'D', '']);
    expect(fields.count).toBe(5);
  });

  it('holds any number of fields', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `X-${i}: ${i}`).join('\r\n');
    const fields = scan(lines)!;
    expect(fields.count).toBe(100);
    expect(fields.nameText(99)).toBe('X-99');
    expect(fields.value(64)).toBe('64');
  });

  it('keeps a value beyond ASCII (obs-text) and HTAB inside it', () => {
    expect(scan('X: caf\xe9\tbar')!.value(0)).toBe('caf\xe9\tbar');
  });

  it.each([
    ['an empty name', ': v'],
    ['whitespace before the colon', 'Host : a'],
    ['no colon', 'Host a'],
    ['an obs-fold line', 'A: 1\r\n  folded'],
    ['a name that is no token', 'A(b): 1'],
    ['a bare CR', 'A: 1\rB: 2'],
    ['a bare LF', 'A: 1\nB: 2'],
    ['a NUL in a value', 'A: 1\x002'],
    ['a control character in a value', 'A: \x1b[31m'],
    ['DEL in a value', 'A: \x7f'],
    ['a CR ending the value alone', 'A: 1\r'],
  ])('refuses %s', (_, lines) => {
    expect(scan(lines)).toBeUndefined();
  });

  it('names the headers sbx acts on, in any case, and nothing else', () => {
    const known: [string, Name][] = [
      ['Content-Length', Name.ContentLength],
      ['TRANSFER-ENCODING', Name.TransferEncoding],
      ['connection', Name.Connection],
      ['Keep-Alive', Name.KeepAlive],
      ['Proxy-Connection', Name.ProxyConnection],
      ['Proxy-Authorization', Name.ProxyAuthorization],
      ['proxy-authenticate', Name.ProxyAuthenticate],
      ['TE', Name.Te],
      ['Trailer', Name.Trailer],
      ['Upgrade', Name.Upgrade],
      ['Expect', Name.Expect],
      ['HOST', Name.Host],
      ['Via', Name.Via],
      ['Date', Name.Date],
    ];
    const fields = scan(known.map(([name]) => `${name}: x`).join('\r\n'))!;
    expect(known.map((_, i) => fields.name(i))).toEqual(known.map(([, name]) => name));
    for (const near of ['Content-Lengths', 'Content_Length', 'Hosts', 'Vi', 'Te-', 'Dat3', 'X']) {
      expect(nameOfText(near)).toBe(Name.Other);
    }
  });
});

describe('forwardedLines', () => {
  const head = (lines: string) => {
    const fields = scan(lines)!;
    const forwarded = forwardedLines(fields);
    return { forwarded, text: headBytes('', forwarded, '').toString('latin1') };
  };

  it('copies the end-to-end lines as they came, and leaves out the hop-by-hop ones', () => {
    const { forwarded, text } = head(
      [
        'Content-Type:text/plain  ',
        'Connection: keep-alive',
        'Keep-Alive: timeout=5',
        'X-One: 1',
        'X-Two:  2',
        'TE: trailers',
        'Transfer-Encoding: chunked',
        'Upgrade: h2c',
        'Proxy-Authenticate: Basic',
        'Proxy-Authorization: Basic eA==',
        'Proxy-Connection: close',
        'Trailer: X',
        'Expect: 100-continue',
        'Host: a.test',
        'Via: 1.0 elsewhere',
        'X-Last: end',
      ].join('\r\n'),
    );
    expect(text).toBe('Content-Type:text/plain  \r\nX-One: 1\r\nX-Two:  2\r\nX-Last: end\r\n');
    // Lines next to each other are one run.
    expect(forwarded.runs.length).toBe(6);
    expect(forwarded.via).toBe('1.0 elsewhere, 1.1 sbx');
    expect(forwarded.length).toBe(false);
    expect(forwarded.date).toBe(false);
  });

  it('leaves out the headers Connection names, in any case', () => {
    const { text } = head('Connection: X-Secret, close\r\nx-secret: 1\r\nX-SECRET: 2\r\nX-Kept: 3');
    expect(text).toBe('X-Kept: 3\r\n');
  });

  it('says whether a Content-Length and a Date pass, and leaves out the name asked', () => {
    const { forwarded } = head('Date: Sat, 28 Nov 2026 01:00:00 GMT\r\nContent-Length: 3');
    expect(forwarded.length).toBe(true);
    expect(forwarded.date).toBe(true);
    expect(forwarded.via).toBe('1.1 sbx');
    const fields = scan('Content-Length: 3\r\nX: 1')!;
    const dropped = forwardedLines(fields, 'content-length');
    expect(headBytes('A\r\n', dropped, 'B').toString('latin1')).toBe('A\r\nX: 1\r\nB');
    expect(dropped.length).toBe(false);
  });

  it('forwards nothing of a head without end-to-end fields', () => {
    const { forwarded, text } = head('Connection: close');
    expect(text).toBe('');
    expect(forwarded.runs).toEqual([]);
  });
});
