import { eventUrl, newEvent } from './events.ts';
import type { Tunnel } from './state.ts';
import { parseAuthority, splitAbsolute } from './target.ts';
import type { ProxyEvent } from './types.ts';

const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}) ([\x21-\x7e]{1,8192}) HTTP\//;

/**
 * The log record of a request the HTTP parser refused before it was complete, with what is
 * known of it: the tunnel it came through, and the request line when the bytes the parser
 * failed on begin with one (query values dropped, as for every request).
 */
export function rejectedEvent(
  sandbox: string | null,
  tunnel: Tunnel | undefined,
  raw: Buffer | undefined,
  status: number,
): ProxyEvent {
  const line = raw ? REQUEST_LINE.exec(raw.subarray(0, 8300).toString('latin1')) : null;
  const method = line?.[1] ?? '';
  const target = line?.[2] ?? '';
  const record = newEvent(sandbox, 'request', method);
  record.status = status;
  if (tunnel) {
    const { name, port } = tunnel.target;
    const absolute = target.startsWith('/') ? undefined : splitAbsolute(target);
    const path = target.startsWith('/') ? target : (absolute?.path ?? '');
    record.host = name;
    record.port = port;
    record.url = eventUrl(tunnel.secure ? 'https' : 'http', name, port, path);
    return record;
  }
  if (method === 'CONNECT') {
    const authority = parseAuthority(target, null);
    if (authority) {
      record.host = authority.name;
      record.port = authority.port;
      record.url = eventUrl('tcp', authority.name, authority.port);
    }
    return record;
  }
  const split = splitAbsolute(target);
  const authority = split && parseAuthority(split.authority, split.scheme === 'https' ? 443 : 80);
  if (split && authority) {
    record.host = authority.name;
    record.port = authority.port;
    record.url = eventUrl(split.scheme, authority.name, authority.port, split.path);
  }
  return record;
}
