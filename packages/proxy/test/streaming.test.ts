import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProxyAgent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { curl, type Running, startProxy, until } from './harness.ts';
import { rawExchange } from './raw.ts';
import { httpUpstream, interceptedUpstream, pattern, type Upstream } from './servers.ts';
import { openTunnel, tlsOver } from './tunnel.ts';

const MB = 1 << 20;
let proxy: Running | undefined;
let upstream: Upstream | undefined;
let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

function sha(buf: Buffer | string): string {
  return createHash('sha256').update(buf).digest('hex');
}

function patternHash(total: number): string {
  const hash = createHash('sha256');
  const chunk = pattern(1 << 16);
  for (let sent = 0; sent < total; sent += chunk.length) {
    hash.update(chunk.subarray(0, Math.min(chunk.length, total - sent)));
  }
  return hash.digest('hex');
}

async function tlsSetup() {
  ({ upstream, proxy } = await interceptedUpstream());
  return `https://localhost:${upstream.port}`;
}

/**
 * GETs `path` through an intercepted tunnel with a client that reads nothing until `meanwhile`
 * has run, then reads the whole answer (the connection closes after it). Node must not warn of
 * a listener leak meanwhile: the proxy waits for one drain however many reads were under way.
 */
async function unreadThenRead(path: string, meanwhile: () => Promise<unknown>): Promise<Buffer> {
  const { port } = upstream!;
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on('warning', onWarning);
  const chunks: Buffer[] = [];
  try {
    const { socket } = await openTunnel(proxy!.port, `localhost:${port}`);
    const tls = await tlsOver(socket, proxy!.ca.certPem, 'localhost');
    tls.pause();
    tls.write(`GET ${path} HTTP/1.1\r\nHost: localhost:${port}\r\nConnection: close\r\n\r\n`);
    await meanwhile();
    tls.on('data', (c: Buffer) => chunks.push(c));
    tls.resume();
    await new Promise((r) => tls.once('end', r));
  } finally {
    process.off('warning', onWarning);
  }
  expect(warnings).not.toContain('MaxListenersExceededWarning');
  return Buffer.concat(chunks);
}

describe('streaming', () => {
  it('passes each server-sent event on before the next is produced', async () => {
    // The upstream sends event i+1 only after the client has received event i: a proxy
    // that holds events back deadlocks here instead of passing.
    let ack: () => void = () => {};
    const sse: Server = createServer(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < 20; i++) {
        const acked = new Promise<void>((r) => {
          ack = r;
        });
        res.write(`data: ${i}\n\n`);
        await acked;
      }
      res.end();
    });
    await new Promise<void>((r) => sse.listen(0, '127.0.0.1', r));
    const port = (sse.address() as AddressInfo).port;
    proxy = await startProxy({ allowHosts: [`localhost:${port}`] });
    const agent = new ProxyAgent(proxy.url);
    const res = await request(`http://localhost:${port}/sse`, { dispatcher: agent });
    const seen: string[] = [];
    let buf = '';
    for await (const chunk of res.body) {
      buf += chunk.toString();
      let end = buf.indexOf('\n\n');
      while (end >= 0) {
        seen.push(buf.slice(0, end));
        buf = buf.slice(end + 2);
        end = buf.indexOf('\n\n');
        ack();
      }
    }
    await agent.close();
    await new Promise((r) => sse.close(r));
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => `data: ${i}`));
  });

  it('passes a response head on at once when its body comes later', async () => {
    // The upstream sends its body only once the client has the head: a proxy that holds a
    // head back until body bytes come deadlocks here instead of passing.
    let headSeen: () => void = () => {};
    const seen = new Promise<void>((r) => {
      headSeen = r;
    });
    const slow: Server = createServer(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.flushHeaders();
      await seen;
      res.end('body');
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const port = (slow.address() as AddressInfo).port;
    proxy = await startProxy({ allowHosts: [`localhost:${port}`] });
    const agent = new ProxyAgent(proxy.url);
    const res = await request(`http://localhost:${port}/`, { dispatcher: agent });
    headSeen();
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('body');
    await agent.close();
    await new Promise((r) => slow.close(r));
  });

  it('stops the upstream response when the client goes away', async () => {
    let closed: () => void = () => {};
    const upstreamClosed = new Promise<void>((r) => {
      closed = r;
    });
    const endless: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const timer = setInterval(() => res.write('data: tick\n\n'), 5);
      res.on('close', () => {
        clearInterval(timer);
        closed();
      });
    });
    await new Promise<void>((r) => endless.listen(0, '127.0.0.1', r));
    const port = (endless.address() as AddressInfo).port;
    proxy = await startProxy({ allowHosts: [`localhost:${port}`] });
    const agent = new ProxyAgent(proxy.url);
    const res = await request(`http://localhost:${port}/`, { dispatcher: agent });
    for await (const _chunk of res.body) break;
    await agent.destroy();
    await upstreamClosed;
    await new Promise((r) => endless.close(r));
    await until(() => proxy!.events.length === 2);
    expect(proxy.events.find((e) => e.type === 'request')).toMatchObject({
      status: 200,
      action: 'allowed',
    });
  });

  it.each([
    ['HEAD', '/', 200, ''],
    ['GET', '/status/204', 204, ''],
    ['GET', '/status/304', 304, ''],
  ])('answers %s %s without a body', async (method, path, status, body) => {
    const bodiless: Server = createServer((req, res) => {
      const code = Number(req.url!.split('/')[2] ?? 200);
      res.writeHead(code, code === 200 ? { 'content-length': 5 } : {});
      res.end(code === 200 && req.method !== 'HEAD' ? 'hello' : undefined);
    });
    await new Promise<void>((r) => bodiless.listen(0, '127.0.0.1', r));
    const port = (bodiless.address() as AddressInfo).port;
    proxy = await startProxy({ allowHosts: [`localhost:${port}`] });
    const r = await curl([
      '-x',
      proxy.url,
      '-X',
      method,
      ...(method === 'HEAD' ? ['-I'] : []),
      `http://localhost:${port}${path}`,
    ]);
    await new Promise((done) => bodiless.close(done));
    expect(r.status).toBe(status);
    if (method !== 'HEAD') expect(r.body).toBe(body);
  });

  it('downloads 100 MB through TLS interception intact (curl)', async () => {
    const base = await tlsSetup();
    dir = await mkdtemp(join(tmpdir(), 'sbx-proxy-'));
    const file = join(dir, 'down');
    const r = await curl([
      '-x',
      proxy!.url,
      '--cacert',
      proxy!.caFile,
      '-o',
      file,
      `${base}/bytes?n=${100 * MB}`,
    ]);
    expect(r.exit).toBe(0);
    expect(sha(await readFile(file))).toBe(patternHash(100 * MB));
    await until(() => proxy!.events.length === 2);
    expect(proxy!.events.find((e) => e.type === 'request')!.bytesIn).toBe(100 * MB);
  }, 60_000);

  it('holds the upstream back while an intercepted client reads nothing, then passes every byte on', async () => {
    await tlsSetup();
    const sockets: Socket[] = [];
    upstream!.server.on('connection', (s: Socket) => sockets.push(s));
    const total = 64 * MB;
    const all = await unreadThenRead(`/bytes?n=${total}`, async () => {
      // Until the upstream's writes stall: what it sent unchanged for 300 ms.
      const sent = () => sockets.reduce((sum, s) => sum + s.bytesWritten, 0);
      let before = -1;
      while (sent() !== before || before <= 0) {
        before = sent();
        await new Promise((r) => setTimeout(r, 300));
      }
      // The kernel's socket buffers on both sides and the proxy's own hold a few MB, not 64.
      expect(before).toBeLessThan(total / 2);
    });
    const end = all.indexOf('\r\n\r\n');
    expect(all.toString('latin1', 0, all.indexOf('\r\n'))).toBe('HTTP/1.1 200 OK');
    expect(sha(all.subarray(end + 4))).toBe(patternHash(total));
  }, 60_000);

  it('waits once for a congested client however many small events arrive after the upstream paused', async () => {
    await tlsSetup();
    // 20,000 events of 1 KiB back to back, each its own TLS record: far more than the
    // kernel's buffers hold while the client reads nothing.
    const count = 20_000;
    const all = await unreadThenRead(
      `/sse?count=${count}&interval=0&padding=1000`,
      () => new Promise((r) => setTimeout(r, 1500)),
    );
    expect(all.toString('latin1').match(/data: \d+ /g)?.length).toBe(count);
  }, 60_000);

  it('uploads 100 MB through TLS interception intact (curl)', async () => {
    const base = await tlsSetup();
    dir = await mkdtemp(join(tmpdir(), 'sbx-proxy-'));
    const file = join(dir, 'up');
    const out = createWriteStream(file);
    const chunk = pattern(MB);
    for (let i = 0; i < 100; i++) out.write(chunk);
    await new Promise((r) => out.end(r));
    const r = await curl([
      '-x',
      proxy!.url,
      '--cacert',
      proxy!.caFile,
      '--data-binary',
      `@${file}`,
      `${base}/hash`,
    ]);
    expect(JSON.parse(r.body)).toEqual({ bytes: 100 * MB, sha256: sha(await readFile(file)) });
    await until(() => proxy!.events.length === 2);
    expect(proxy!.events.find((e) => e.type === 'request')!.bytesOut).toBe(100 * MB);
  }, 60_000);

  it('downloads 100 MB through plain forwarding intact (undici ProxyAgent)', async () => {
    upstream = await httpUpstream();
    proxy = await startProxy({ allowHosts: [`localhost:${upstream.port}`] });
    const agent = new ProxyAgent(proxy.url);
    const res = await request(`http://localhost:${upstream.port}/bytes?n=${100 * MB}`, {
      dispatcher: agent,
    });
    const hash = createHash('sha256');
    for await (const c of res.body) hash.update(c);
    await agent.close();
    expect(hash.digest('hex')).toBe(patternHash(100 * MB));
  }, 60_000);

  it('works with undici ProxyAgent through TLS interception', async () => {
    const base = await tlsSetup();
    const agent = new ProxyAgent({ uri: proxy!.url, requestTls: { ca: proxy!.ca.certPem } });
    const res = await request(`${base}/echo`, { dispatcher: agent, method: 'POST', body: 'hello' });
    const json = (await res.body.json()) as { method: string; headers: Record<string, string> };
    await agent.close();
    expect([res.statusCode, json.method, json.headers['content-length']]).toEqual([
      200,
      'POST',
      '5',
    ]);
  });
});

describe('Expect: 100-continue', () => {
  it('continues an allowed upload and forwards the body', async () => {
    upstream = await httpUpstream();
    proxy = await startProxy({ allowHosts: [`localhost:${upstream.port}`] });
    const body = 'x'.repeat(100_000);
    const r = await curl([
      '-x',
      proxy.url,
      '-H',
      'Expect: 100-continue',
      '--data-binary',
      body,
      `http://localhost:${upstream.port}/hash`,
    ]);
    expect(JSON.parse(r.body)).toEqual({ bytes: body.length, sha256: sha(body) });
    expect(upstream.seen[0]!.headers.expect).toBeUndefined();
  });

  it('refuses a denied upload before the body is sent', async () => {
    proxy = await startProxy({ policy: 'deny' });
    const r = await rawExchange(
      proxy.port,
      'POST http://denied.test/ HTTP/1.1\r\nHost: denied.test\r\nContent-Length: 1000000\r\nExpect: 100-continue\r\n\r\n',
    );
    expect(r.text.split('\r\n')[0]).toBe('HTTP/1.1 403 Forbidden');
    expect(r.closed).toBe(true);
  });
});

describe('WebSocket upgrades', () => {
  it('checks the upgrade like a request, then splices both ways', async () => {
    upstream = await httpUpstream();
    proxy = await startProxy({ allowHosts: [`localhost:${upstream.port}`] });
    const { connect } = await import('node:net');
    const socket = connect({ host: '127.0.0.1', port: proxy.port });
    let text = '';
    socket.on('data', (c) => {
      text += c.toString();
      if (text.includes('\r\n\r\n') && !text.includes('ping')) socket.write('ping');
      if (text.endsWith('ping')) socket.end();
    });
    socket.write(
      `GET http://localhost:${upstream.port}/ws HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n`,
    );
    await new Promise((r) => socket.on('close', r));
    expect(text.split('\r\n')[0]).toBe('HTTP/1.1 101 Switching Protocols');
    expect(text.endsWith('\r\n\r\nping')).toBe(true);
    expect(upstream.seen[0]!.headers.upgrade).toBe('echo');
    await until(() => proxy!.events.length === 1);
    expect(proxy.events[0]).toMatchObject({ type: 'request', status: 101, action: 'allowed' });
  });

  it('passes on a refused upgrade and closes, so nothing more reaches the upstream unread', async () => {
    // An upstream that answers every request 426 and keeps its connection open.
    const { createServer: createTcpServer } = await import('node:net');
    const heads: string[] = [];
    const raw = createTcpServer((s) => {
      let buf = '';
      s.on('data', (c) => {
        buf += c.toString('latin1');
        for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
          heads.push(buf.slice(0, end));
          buf = buf.slice(end + 4);
          s.write('HTTP/1.1 426 Upgrade Required\r\nContent-Length: 5\r\nX-A: b\r\n\r\nnope!');
        }
      });
    });
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    const port = (raw.address() as AddressInfo).port;
    proxy = await startProxy({ allowHosts: [`localhost:${port}`] });
    const { connect } = await import('node:net');
    const socket = connect({ host: '127.0.0.1', port: proxy.port });
    let text = '';
    socket.on('data', (c) => {
      text += c.toString('latin1');
      // The answer has come: try another request (another Host) on the same connection.
      if (text.endsWith('nope!')) socket.write('GET / HTTP/1.1\r\nHost: blocked.test\r\n\r\n');
    });
    socket.write(
      `GET http://localhost:${port}/ws HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`,
    );
    await new Promise((r) => socket.on('close', r));
    raw.close();
    const [head, body] = text.split('\r\n\r\n');
    expect(head!.split('\r\n')[0]).toBe('HTTP/1.1 426 Upgrade Required');
    expect(head).toMatch(/\r\nx-a: b\r\n/i);
    expect(head).toMatch(/\r\nconnection: close$/i);
    expect(head).not.toMatch(/content-length/i);
    expect(body).toBe('nope!');
    expect(heads).toHaveLength(1);
    expect(heads[0]).toMatch(/^GET \/ws HTTP\/1\.1\r\n/);
    await until(() => proxy!.events.length === 1);
    expect(proxy.events[0]).toMatchObject({ type: 'request', status: 426, action: 'allowed' });
  });

  it('refuses a denied upgrade', async () => {
    proxy = await startProxy({ policy: 'deny' });
    const r = await rawExchange(
      proxy.port,
      'GET http://ws.test/ HTTP/1.1\r\nHost: ws.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
    );
    expect(r.text.split('\r\n')[0]).toBe('HTTP/1.1 403 Forbidden');
  });
});
