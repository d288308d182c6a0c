import type { Tunnel } from './state.ts';
import { parseAuthority, splitAbsolute, type Target } from './target.ts';

export type RequestTarget =
  | { ok: true; target: Target; path: string; secure: boolean; tunnel: Tunnel | undefined }
  | { ok: false; status: number; body: string; target?: Target };

/**
 * Where a request goes. Outside a tunnel: the request-line authority (never the Host header).
 * Inside one: the CONNECT target, and the Host header (and any absolute URL) must name it
 * exactly, else 421 (domain fronting).
 */
export function requestTarget(
  req: { url: string; host: string | undefined },
  tunnel: Tunnel | undefined,
): RequestTarget {
  const url = req.url;
  if (!tunnel) {
    const split = splitAbsolute(url);
    if (!split) {
      return {
        ok: false,
        status: 400,
        body: 'sbx proxy: send requests in absolute form (GET http://host/path) or use CONNECT\n',
      };
    }
    if (split.scheme === 'https') {
      return { ok: false, status: 400, body: 'sbx proxy: use CONNECT for https:// URLs\n' };
    }
    const target = parseAuthority(split.authority, 80);
    if (!target) return { ok: false, status: 400, body: 'sbx proxy: invalid host in the URL\n' };
    return { ok: true, target, path: split.path, secure: false, tunnel };
  }
  const { target, secure } = tunnel;
  const defaultPort = secure ? 443 : 80;
  let path = url;
  if (url.charCodeAt(0) !== 0x2f) {
    const split = splitAbsolute(url);
    if (!split) return { ok: false, status: 400, body: 'sbx proxy: invalid request target\n' };
    const named = parseAuthority(split.authority, split.scheme === 'https' ? 443 : 80);
    if (!named || named.host !== target.host || named.port !== target.port) {
      return misdirected(target, split.authority);
    }
    path = split.path;
  }
  const hostHeader = req.host;
  if (hostHeader === undefined || hostHeader !== tunnel.hostOk) {
    const named = hostHeader === undefined ? undefined : parseAuthority(hostHeader, defaultPort);
    if (!named || named.host !== target.host || named.port !== target.port) {
      return misdirected(target, hostHeader ?? '(none)');
    }
    tunnel.hostOk = hostHeader;
  }
  return { ok: true, target, path, secure, tunnel };
}

function misdirected(target: Target, asked: string): RequestTarget {
  const shown = asked.length > 200 ? `${asked.slice(0, 200)}…` : asked;
  return {
    ok: false,
    status: 421,
    target,
    body: `sbx proxy: this tunnel goes to ${target.name}:${target.port}; the request names ${JSON.stringify(shown)}\n`,
  };
}
