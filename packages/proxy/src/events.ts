import { isIP } from 'node:net';
import type { ProxyEvent } from './types.ts';

/** `scheme://host:port/path` with each query value dropped (names kept, secrets often sit in values). */
export function eventUrl(scheme: string, host: string, port: number, path = ''): string {
  const authority =
    host.includes(':') && isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
  const q = path.indexOf('?');
  if (q < 0) return `${scheme}://${authority}${path}`;
  const names = path
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq < 0 ? pair : `${pair.slice(0, eq)}=`;
    })
    .join('&');
  return `${scheme}://${authority}${path.slice(0, q)}?${names}`;
}

/** Calls the sink, never letting a throwing sink take the proxy down. */
export function emitTo(sink: ((event: ProxyEvent) => void) | undefined, event: ProxyEvent): void {
  if (!sink) return;
  try {
    sink(event);
  } catch {
    // A broken log sink must not break traffic; the sink owner sees its own failure.
  }
}

/**
 * A clock reading formatted by `format(second)` (seconds since the epoch), computed once per
 * second: what every request's log record and response head would otherwise format anew.
 */
export function perSecond(format: (second: number) => string): (now: number) => string {
  let last = -1;
  let text = '';
  return (now) => {
    const second = Math.floor(now / 1000);
    if (second !== last) {
      last = second;
      text = format(second);
    }
    return text;
  };
}

/** `YYYY-MM-DDTHH:MM:SS.` of an ISO 8601 time. */
const isoPrefix = perSecond((second) => new Date(second * 1000).toISOString().slice(0, 20));

/** A time (ms since the epoch, as `Date.now()` gives) in ISO 8601, with milliseconds. */
export function isoTime(now: number): string {
  const ms = now % 1000;
  return `${isoPrefix(now)}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
}

/**
 * A log record with nothing decided yet, filled in as the request or tunnel goes on. `ts`:
 * its time, now unless given (a request's is formatted when it is logged, off the path of
 * its bytes; see forward.ts).
 */
export function newEvent(
  sandbox: string | null,
  type: ProxyEvent['type'],
  method: string,
  ts = isoTime(Date.now()),
): ProxyEvent {
  return {
    ts,
    sandbox,
    type,
    method,
    url: '',
    host: '',
    port: 0,
    address: null,
    action: 'denied',
    rule: null,
    status: 0,
    bytesIn: 0,
    bytesOut: 0,
    durationMs: 0,
  };
}

export function elapsed(start: number): number {
  return Math.round((performance.now() - start) * 1000) / 1000;
}
