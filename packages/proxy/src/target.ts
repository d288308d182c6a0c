import { isIP } from 'node:net';
import { safeCanonicalHost } from '@sbx/policy';

/** A destination as the proxy handles it: canonical host (what the policy sees) and port. */
export interface Target {
  /** Canonical host: lowercase ASCII name or IP literal; `host.docker.internal` is `localhost`. */
  host: string;
  port: number;
  /** The name the client asked for (canonical, but `host.docker.internal` kept): TLS name, Host. */
  name: string;
}

const PORT = /^[0-9]{1,5}$/;

/** The canonical form of a host, or undefined when it is not a valid host. */
export function canonical(host: string): string | undefined {
  const result = safeCanonicalHost(host);
  return result.ok ? result.value : undefined;
}

/**
 * Parses `host[:port]` (authority-form, Host header, URL authority). Userinfo, empty ports,
 * bare IPv6 and anything the policy's canonicaliser rejects are refused (undefined).
 */
export function parseAuthority(text: string, defaultPort: number | null): Target | undefined {
  if (text.length === 0 || text.length > 1100 || text.includes('@')) return undefined;
  let hostPart: string;
  let portPart: string | null = null;
  if (text.charCodeAt(0) === 0x5b) {
    const close = text.indexOf(']');
    if (close < 0) return undefined;
    hostPart = text.slice(0, close + 1);
    const rest = text.slice(close + 1);
    if (rest !== '') {
      if (rest.charCodeAt(0) !== 0x3a) return undefined;
      portPart = rest.slice(1);
    }
  } else {
    const colon = text.indexOf(':');
    if (colon >= 0) {
      if (text.indexOf(':', colon + 1) >= 0) return undefined;
      hostPart = text.slice(0, colon);
      portPart = text.slice(colon + 1);
    } else hostPart = text;
  }
  let port: number;
  if (portPart === null) {
    if (defaultPort === null) return undefined;
    port = defaultPort;
  } else {
    if (!PORT.test(portPart)) return undefined;
    port = Number(portPart);
    if (port < 1 || port > 65535) return undefined;
  }
  const host = canonical(hostPart);
  if (host === undefined) return undefined;
  let name = host;
  if (host === 'localhost' && /^host\.docker\.internal\.?$/i.test(hostPart)) {
    name = 'host.docker.internal';
  }
  return { host, port, name };
}

/** `host` or `[v6]`, with `:port` unless it is the default one. */
export function formatAuthority(name: string, port: number, defaultPort: number): string {
  const host = name.includes(':') && isIP(name) === 6 ? `[${name}]` : name;
  return port === defaultPort ? host : `${host}:${port}`;
}

/** Splits an absolute-form request target `http://authority/path?q` (scheme compared lowercase). */
export function splitAbsolute(
  url: string,
): { scheme: 'http' | 'https'; authority: string; path: string } | undefined {
  const sep = url.indexOf('://');
  if (sep < 4 || sep > 5) return undefined;
  const scheme = url.slice(0, sep).toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return undefined;
  const start = sep + 3;
  let end = start;
  while (end < url.length) {
    const c = url.charCodeAt(end);
    if (c === 0x2f || c === 0x3f || c === 0x23) break;
    end++;
  }
  let path = url.slice(end);
  if (path === '' || path.charCodeAt(0) !== 0x2f) path = `/${path}`;
  const hash = path.indexOf('#');
  if (hash >= 0) path = path.slice(0, hash);
  return { scheme, authority: url.slice(start, end), path };
}
