import { parseHost } from './host.ts';

/**
 * A canonical host pattern. `exact` names one host (a domain or an IP address), `wildcard`
 * every subdomain of `host`, `any` every host; `port` 0 means every port.
 */
export interface HostPattern {
  readonly kind: 'exact' | 'wildcard' | 'any';
  readonly host: string;
  readonly port: number;
  readonly text: string;
}

function quote(s: string): string {
  return JSON.stringify(s.length > 100 ? `${s.slice(0, 100)}…` : s);
}

function parsePort(s: string): number | string {
  if (s === '') return 'the port after ":" is empty: write a port from 1 to 65535, or no ":"';
  if (!/^[0-9]{1,5}$/.test(s)) return `port ${quote(s)} is not a number from 1 to 65535`;
  const n = Number(s);
  if (n === 0)
    return 'port 0 is never connectable: use a port from 1 to 65535, or leave it out to match every port';
  if (n > 65535) return `port ${n} is out of range: use a port from 1 to 65535`;
  return n;
}

function splitPort(s: string): [host: string, port: string | null] | string {
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return 'a "[" must close with "]"';
    const rest = s.slice(close + 1);
    if (rest === '') return [s.slice(0, close + 1), null];
    if (!rest.startsWith(':')) return `unexpected ${quote(rest)} after "]"`;
    return [s.slice(0, close + 1), rest.slice(1)];
  }
  const colon = s.indexOf(':');
  if (colon < 0) return [s, null];
  if (s.indexOf(':', colon + 1) >= 0) return [s, null]; // a bare IPv6 address
  return [s.slice(0, colon), s.slice(colon + 1)];
}

function withPort(host: string, port: number): string {
  return port === 0 ? host : `${host}:${port}`;
}

/** Parses a host pattern (`example.com`, `*.example.com:443`, `*`, `[::1]:8080`, …) or says why not. */
export function parseHostPattern(input: unknown): HostPattern | string {
  if (typeof input !== 'string') return `a host pattern must be a string, not ${typeof input}`;
  const bad = (why: string) => `invalid host pattern ${quote(input)}: ${why}`;
  if (input === '') return bad('it is empty');
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(input);
  if (scheme) return bad(`remove the scheme: write ${quote(input.slice(scheme[0].length))}`);
  if (input.includes('/')) return bad('a host pattern has no path: write the host alone');
  const split = splitPort(input);
  if (typeof split === 'string') return bad(split);
  const [hostPart, portPart] = split;
  let port = 0;
  if (portPart !== null) {
    const p = parsePort(portPart);
    if (typeof p === 'string') return bad(p);
    port = p;
  }
  if (hostPart === '*') return { kind: 'any', host: '*', port, text: withPort('*', port) };
  if (hostPart.startsWith('*.')) {
    const suffix = hostPart.slice(2);
    if (suffix === '') return bad('a wildcard needs a domain after "*."');
    if (suffix.includes('*')) return bad('"*" can only stand alone or as the whole first label');
    const h = parseHost(suffix, false);
    if (typeof h === 'string') return bad(h);
    if (h.kind === 'ip') return bad('a wildcard needs a domain after "*.", not an IP address');
    return { kind: 'wildcard', host: h.name, port, text: withPort(`*.${h.name}`, port) };
  }
  if (hostPart.includes('*')) {
    return bad('"*" can only stand alone ("*") or as the whole first label ("*.example.com")');
  }
  const h = parseHost(hostPart);
  if (typeof h === 'string') return bad(h);
  const shown = h.kind === 'ip' && h.ip.v6 !== null ? `[${h.name}]` : h.name;
  return { kind: 'exact', host: h.name, port, text: withPort(shown, port) };
}
