const HOP_BY_HOP = new Set([
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
]);

export const VIA = '1.1 sbx';

const COMMON_CONNECTION = /^\s*(?:keep-alive|close|upgrade)\s*$/i;

/** Header names listed in Connection (which makes them hop-by-hop for this message). */
function connectionTokens(raw: readonly string[]): Set<string> | undefined {
  let tokens: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length !== 10 && raw[i]!.length !== 16) continue;
    const name = raw[i]!.toLowerCase();
    if (name !== 'connection' && name !== 'proxy-connection') continue;
    const value = raw[i + 1]!;
    // The usual values name nothing beyond what is dropped anyway.
    if (COMMON_CONNECTION.test(value)) continue;
    for (const token of value.split(',')) {
      const t = token.trim().toLowerCase();
      if (!t || HOP_BY_HOP.has(t)) continue;
      tokens ??= new Set();
      tokens.add(t);
    }
  }
  return tokens;
}

/**
 * The end-to-end headers of a message as a flat [name, value, …] list: hop-by-hop ones, those
 * named in Connection, Host, Via and the names in `drop` removed; `keep` names survive anyway
 * (Upgrade and Connection on a WebSocket handshake). Via is re-added with the proxy's hop.
 */
export function endToEnd(
  raw: readonly string[],
  drop?: string,
  keep?: ReadonlySet<string>,
): { headers: string[]; via: string } {
  const named = connectionTokens(raw);
  const headers: string[] = [];
  let via = '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (lower === 'via') via = via ? `${via}, ${raw[i + 1]}` : raw[i + 1]!;
    if (keep?.has(lower)) {
      headers.push(name, raw[i + 1]!);
      continue;
    }
    if (HOP_BY_HOP.has(lower) || named?.has(lower) || lower === drop) continue;
    headers.push(name, raw[i + 1]!);
  }
  return { headers, via: via ? `${via}, ${VIA}` : VIA };
}
