import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import {
  type CertificateAuthority,
  createCertificateAuthority,
  type ProxyOptions,
} from '../src/index.ts';
import { closeWhenDone, type Running, startProxy } from './harness.ts';

/** Deterministic bytes for download tests: the same `n` always gives the same stream. */
export function pattern(size: number): Buffer {
  const buf = Buffer.alloc(size);
  for (let i = 0; i < size; i++) buf[i] = (i * 31 + (i >> 8)) & 0xff;
  return buf;
}

export interface Upstream {
  server: Server;
  port: number;
  /** Every request seen: method, url, raw headers. */
  seen: { method: string; url: string; headers: IncomingMessage['headers'] }[];
  connections: number;
  close(): Promise<void>;
}

function handler(seen: Upstream['seen']) {
  return (req: IncomingMessage, res: ServerResponse) => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers });
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/hash') {
      const hash = createHash('sha256');
      let n = 0;
      req.on('data', (c: Buffer) => {
        n += c.length;
        hash.update(c);
      });
      req.on('end', () => res.end(JSON.stringify({ bytes: n, sha256: hash.digest('hex') })));
      return;
    }
    if (url.pathname === '/bytes') {
      const total = Number(url.searchParams.get('n'));
      const chunk = pattern(1 << 16);
      res.writeHead(200, { 'content-length': total });
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          const part = chunk.subarray(0, Math.min(chunk.length, total - sent));
          sent += part.length;
          if (!res.write(part)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
      return;
    }
    if (url.pathname === '/sse') {
      const count = Number(url.searchParams.get('count') ?? 5);
      const interval = Number(url.searchParams.get('interval') ?? 20);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      // interval=0: back to back, each event in a turn of its own (a TLS record of its own).
      const padding = 'x'.repeat(Number(url.searchParams.get('padding') ?? 0));
      let i = 0;
      let gone = false;
      const next = () => {
        if (gone) return;
        res.write(`data: ${i} ${Date.now()}${padding}\n\n`);
        if (++i === count) res.end();
        else if (interval) timer = setTimeout(next, interval);
        else setImmediate(next);
      };
      // first=N: the first event after N ms (else after one interval).
      let timer = setTimeout(next, Number(url.searchParams.get('first') ?? interval));
      res.on('close', () => {
        gone = true;
        clearTimeout(timer);
      });
      return;
    }
    req.resume();
    req.on('end', () => {
      res.writeHead(200, {
        'content-type': 'application/json',
        connection: 'x-hop',
        'x-hop': 'dropped',
        'set-cookie': ['a=1', 'b=2'],
      });
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers }));
    });
  };
}

function track(server: Server, seen: Upstream['seen'], host: string): Promise<Upstream> {
  const sockets = new Set<Socket>();
  const upstream: Upstream = {
    server,
    port: 0,
    seen,
    connections: 0,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  server.on('connection', (s: Socket) => {
    upstream.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // A minimal WebSocket-like upgrade: 101, then every byte is echoed.
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers });
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nupgrade: echo\r\nconnection: upgrade\r\n\r\n',
    );
    socket.pipe(socket);
  });
  return new Promise((resolve) => {
    server.listen(0, host, () => {
      upstream.port = (server.address() as AddressInfo).port;
      resolve(closeWhenDone(upstream));
    });
  });
}

/** A plain HTTP upstream on loopback. */
export function httpUpstream(host = '127.0.0.1'): Promise<Upstream> {
  const seen: Upstream['seen'] = [];
  return track(createServer(handler(seen)), seen, host);
}

/** An HTTPS upstream whose certificates (for any SNI name, or 127.0.0.1) come from `ca`. */
export async function httpsUpstream(
  ca: CertificateAuthority,
  host = '127.0.0.1',
): Promise<Upstream> {
  const seen: Upstream['seen'] = [];
  const server = createHttpsServer(
    {
      secureContext: await ca.secureContext(host),
      SNICallback: (name, cb) => {
        ca.secureContext(name).then(
          (ctx) => cb(null, ctx),
          (error: Error) => cb(error),
        );
      },
    },
    handler(seen),
  );
  return track(server as unknown as Server, seen, host);
}

/** The CA test upstreams present certificates from (the proxy trusts it via `upstreamCa`). */
export function upstreamAuthority(): Promise<CertificateAuthority> {
  return createCertificateAuthority({ sandbox: 'upstream-test' });
}

/**
 * An HTTPS upstream (its certificate from the shared upstream CA) and a proxy that allows it,
 * trusts that CA and so intercepts requests to it: the arrangement of most interception tests.
 */
export async function interceptedUpstream(
  options: Partial<ProxyOptions> = {},
): Promise<{ upstream: Upstream; proxy: Running }> {
  const upstreamCa = await upstreamAuthority();
  const upstream = await httpsUpstream(upstreamCa);
  const proxy = await startProxy(
    { allowHosts: [`localhost:${upstream.port}`] },
    { upstreamCa: upstreamCa.certPem, ...options },
  );
  return { upstream, proxy };
}
