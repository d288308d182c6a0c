// The benchmark's upstream: HTTPS and HTTP servers on loopback, in their own process.
import { createServer as createHttp, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import { loadCertificateAuthority } from '../src/index.ts';

const { certPem, keyPem, names } = JSON.parse(process.argv[2]!) as {
  certPem: string;
  keyPem: string;
  names: string[];
};
const ca = await loadCertificateAuthority({ certPem, keyPem }, { maxContexts: 10_000 });
for (const name of ['localhost', ...names]) await ca.secureContext(name);

const SMALL = Buffer.alloc(128, 'a');
const CHUNK = Buffer.alloc(1 << 16, 'b');

/** Milliseconds on the machine's monotonic clock, which the measuring process reads too. */
function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '/';
  if (url.startsWith('/sse')) {
    // Server-sent events: 50, 20 ms apart, each stamped just before it is written.
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const q = new URLSearchParams(url.slice(url.indexOf('?') + 1));
    const count = Number(q.get('n') ?? 50);
    const gap = Number(q.get('gap') ?? 20);
    let i = 0;
    const tick = () => {
      res.write(`data: ${now()}\n\n`);
      if (++i === count) res.end();
      else if (gap) setTimeout(tick, gap);
      else setImmediate(tick);
    };
    if (gap) setTimeout(tick, gap);
    else setImmediate(tick);
    return;
  }
  if (url.startsWith('/bulk')) {
    const total = Number(url.slice(url.indexOf('=') + 1));
    res.writeHead(200, { 'content-length': total });
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        const part = total - sent >= CHUNK.length ? CHUNK : CHUNK.subarray(0, total - sent);
        sent += part.length;
        if (!res.write(part)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
    return;
  }
  req.resume();
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': SMALL.length });
  res.end(SMALL);
}

const https = createHttps(
  {
    SNICallback: (name, cb) => {
      ca.secureContext(name).then(
        (c) => cb(null, c),
        (e: Error) => cb(e),
      );
    },
    keepAliveTimeout: 60_000,
  },
  handle,
);
const http = createHttp({ keepAliveTimeout: 60_000 }, handle);
await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
process.send!({
  https: (https.address() as AddressInfo).port,
  http: (http.address() as AddressInfo).port,
});
