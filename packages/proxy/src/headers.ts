import { type Fields, Name, nameOfText } from './fields.ts';
import { KEEP_ALIVE, putLatin1 } from './http1.ts';

/** What never passes the proxy: hop-by-hop headers (RFC 9110 7.6.1), and what sbx sets itself. */
const HOP_BY_HOP_NAMES = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'host',
  'via',
];
const HOP_BY_HOP = new Set(HOP_BY_HOP_NAMES);
/** The same, by `Name` (every one of them is a name sbx acts on). */
const HOP_BY_HOP_NAME = new Uint8Array(Name.Date + 1);
for (const name of HOP_BY_HOP_NAMES) HOP_BY_HOP_NAME[nameOfText(name)] = 1;

export const VIA = '1.1 sbx';

const COMMON_CONNECTION = /^\s*(?:keep-alive|close|upgrade)\s*$/i;

/** `tokens` with the header names a Connection value lists added (those not dropped anyway). */
function namedIn(value: string, tokens: Set<string> | undefined): Set<string> | undefined {
  // The usual values name nothing beyond what is dropped anyway.
  if (value === KEEP_ALIVE || COMMON_CONNECTION.test(value)) return tokens;
  for (const token of value.split(',')) {
    const t = token.trim().toLowerCase();
    if (!t || HOP_BY_HOP.has(t)) continue;
    tokens ??= new Set();
    tokens.add(t);
  }
  return tokens;
}

/**
 * The end-to-end header lines of a head, as `forwardedLines` finds them: runs of its bytes to
 * copy as they came (consecutive lines are one run), and what the proxy adds or decides.
 */
export interface ForwardedLines {
  bytes: Buffer;
  /** [start, end, …] of each run in `bytes`, each ending after a line's CRLF. */
  runs: number[];
  /** Bytes in all the runs. */
  size: number;
  /** The Via value to send: the message's own, then sbx's hop. */
  via: string;
  /** Whether a Content-Length (not dropped) and a Date are among the lines. */
  length: boolean;
  date: boolean;
}

/**
 * The end-to-end lines of the head `fields` describes: hop-by-hop ones, those named in
 * Connection, Host, Via and the header `drop` (a lowercase name) left out; `keep` names pass
 * anyway (Upgrade and Connection on a WebSocket handshake). The lines that pass are not
 * rewritten: their bytes are copied as they came.
 */
export function forwardedLines(
  fields: Fields,
  drop?: string,
  keep?: readonly Name[],
): ForwardedLines {
  const { bytes, count } = fields;
  let named: Set<string> | undefined;
  let via = '';
  for (let i = 0; i < count; i++) {
    const name = fields.name(i);
    if (name === Name.Connection || name === Name.ProxyConnection) {
      named = namedIn(fields.value(i), named);
    } else if (name === Name.Via) {
      via = via ? `${via}, ${fields.value(i)}` : fields.value(i);
    }
  }
  const runs: number[] = [];
  let size = 0;
  let length = false;
  let date = false;
  let runStart = -1;
  let runEnd = -1;
  for (let i = 0; i < count; i++) {
    const name = fields.name(i);
    if (!keep?.includes(name)) {
      if (HOP_BY_HOP_NAME[name] === 1) continue;
      if (named || drop) {
        const lower = fields.nameText(i).toLowerCase();
        if (lower === drop || named?.has(lower)) continue;
      }
    }
    if (name === Name.ContentLength) length = true;
    else if (name === Name.Date) date = true;
    const start = fields.lineStart(i);
    const end = fields.lineEnd(i);
    if (start !== runEnd) {
      if (runStart >= 0) runs.push(runStart, runEnd);
      runStart = start;
    }
    // The last line of a head has no CRLF of its own in the fields (it is the blank line's).
    runEnd = end + 2;
    size += end + 2 - start;
  }
  if (runStart >= 0) runs.push(runStart, runEnd);
  return { bytes, runs, size, via: via ? `${via}, ${VIA}` : VIA, length, date };
}

/** One buffer: `before` (latin1), the lines' bytes, then `after` (latin1). */
export function headBytes(before: string, lines: ForwardedLines, after: string): Buffer {
  const out = Buffer.allocUnsafe(before.length + lines.size + after.length);
  let at = putLatin1(out, before, 0);
  const { bytes, runs } = lines;
  for (let r = 0; r < runs.length; r += 2) {
    out.set(bytes.subarray(runs[r], runs[r + 1]), at);
    at += runs[r + 1]! - runs[r]!;
  }
  putLatin1(out, after, at);
  return out;
}

/**
 * The head of a request sbx sends upstream: its request line, the client's end-to-end lines
 * (see `forwardedLines`), then Host, Via and the lines in `after` (each ending in CRLF).
 */
export function upstreamHead(
  method: string,
  path: string,
  lines: ForwardedLines,
  host: string,
  after = '',
): Buffer {
  // latin1: a header byte beyond ASCII (obs-text) leaves as the byte it arrived as.
  return headBytes(
    `${method} ${path} HTTP/1.1\r\n`,
    lines,
    `host: ${host}\r\nvia: ${lines.via}\r\n${after}\r\n`,
  );
}
