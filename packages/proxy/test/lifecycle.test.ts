import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePolicy } from '@sbx/policy';
import { describe, expect, it } from 'vitest';
import { createProxy, type ProxyOptions } from '../src/index.ts';
import { curl, startProxy, until } from './harness.ts';
import { ask, rawExchange } from './raw.ts';
import { httpsUpstream, httpUpstream, interceptedUpstream, upstreamAuthority } from './servers.ts';
import { exchange, openTunnel, tlsOver } from './tunnel.ts';

describe('setPolicy', () => {
  it('applies to the next request on a kept-alive forward connection', async () => {
    const upstream = await httpUpstream();
    const target = `http://localhost:${upstream.port}/`;
    const proxy = await startProxy({ allowHosts: [`localhost:${upstream.port}`] });
    const socket = connect({ host: '127.0.0.1', port: proxy.port });
    const req = `GET ${target} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n`;
    expect(await ask(socket, req)).toBe('HTTP/1.1 200 OK');
    proxy.proxy.setPolicy(compilePolicy({ policy: 'deny' }));
    expect(await ask(socket, req)).toBe('HTTP/1.1 403 Forbidden');
    socket.destroy();
  });

  it('applies to the next request inside an open TLS tunnel', async () => {
    const { upstream, proxy } = await interceptedUpstream();
    const { socket } = await openTunnel(proxy.port, `localhost:${upstream.port}`);
    const tls = await tlsOver(socket, proxy.ca.certPem, 'localhost');
    const req = `GET / HTTP/1.1\r\nHost: localhost:${upstream.port}\r\n\r\n`;
    expect(await ask(tls, req)).toBe('HTTP/1.1 200 OK');
    proxy.proxy.setPolicy(compilePolicy({ blockHosts: ['localhost'] }));
    expect(await ask(tls, req)).toBe('HTTP/1.1 403 Forbidden');
    tls.destroy();
    expect(upstream.seen.length).toBe(1);
  });

  it('cuts an open bypass tunnel the new policy denies', async () => {
    const echo: Server = createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const port = (echo.address() as { port: number }).port;
    const proxy = await startProxy({
      allowHosts: [`localhost:${port}`],
      bypassHosts: ['localhost'],
    });
    const { socket } = await openTunnel(proxy.port, `localhost:${port}`);
    const closed = new Promise((r) => socket.on('close', r));
    socket.resume();
    proxy.proxy.setPolicy(compilePolicy({ allowHosts: [`localhost:${port}`] }));
    await closed;
    await new Promise((r) => echo.close(r));
    await until(() => proxy!.events.length === 1);
    expect(proxy.events[0]).toMatchObject({ type: 'tunnel', action: 'bypassed' });
  });
});

describe('capacity and lifecycle', () => {
  it('holds 1,000 concurrent bypass tunnels', async () => {
    const held = new Set<Socket>();
    const echo: Server = createServer((s) => {
      held.add(s);
      s.pipe(s);
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const port = (echo.address() as { port: number }).port;
    const proxy = await startProxy({
      allowHosts: [`localhost:${port}`],
      bypassHosts: ['localhost'],
    });
    const tunnels = await Promise.all(
      Array.from({ length: 1000 }, () => openTunnel(proxy!.port, `localhost:${port}`)),
    );
    expect(held.size).toBe(1000);
    const echoes = await Promise.all(
      tunnels.map(
        ({ socket }, i) =>
          new Promise<string>((resolve) => {
            socket.once('data', (c: Buffer) => resolve(c.toString()));
            socket.resume();
            socket.write(`t${i}`);
          }),
      ),
    );
    expect(echoes).toEqual(tunnels.map((_, i) => `t${i}`));
    for (const { socket } of tunnels) socket.destroy();
    await until(() => proxy!.events.length === 1000, 20_000);
    for (const s of held) s.destroy();
    await new Promise((r) => echo.close(r));
  }, 60_000);

  it('listens on a unix socket', async () => {
    const upstream = await httpUpstream();
    const dir = await mkdtemp(join(tmpdir(), 'sbx-proxy-sock-'));
    const path = join(dir, 'proxy.sock');
    const p = createProxy({
      policy: compilePolicy({ allowHosts: [`localhost:${upstream.port}`] }),
    });
    expect(await p.listen({ path })).toEqual({ path });
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { socketPath: path, path: `http://localhost:${upstream!.port}/`, headers: { host: 'x' } },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on('error', reject);
      req.end();
    });
    await p.close();
    await rm(dir, { recursive: true, force: true });
    expect(status).toBe(200);
  });

  it('makes an in-memory CA when none is given, and intercepts with it', async () => {
    const upstreamCa = await upstreamAuthority();
    const upstream = await httpsUpstream(upstreamCa);
    const p = createProxy({
      policy: compilePolicy({ allowHosts: [`localhost:${upstream.port}`] }),
      upstreamCa: upstreamCa.certPem,
    });
    const { port } = (await p.listen()) as { port: number };
    const ca = await p.certificateAuthority();
    expect(ca.subject).toBe('CN=sbx proxy CA, O=sbx');
    const { socket } = await openTunnel(port, `localhost:${upstream.port}`);
    const tls = await tlsOver(socket, ca.certPem, 'localhost');
    const r = await exchange(
      tls,
      `GET / HTTP/1.1\r\nHost: localhost:${upstream.port}\r\nConnection: close\r\n\r\n`,
    );
    await p.close();
    expect(r.text.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
  });

  it('closes open client connections and tunnels on close()', async () => {
    const upstream = await httpUpstream();
    const proxy = await startProxy({ allowHosts: [`localhost:${upstream.port}`] });
    const { socket } = await openTunnel(proxy.port, `localhost:${upstream.port}`);
    const result = exchange(socket, '', 5000);
    await proxy.close();
    expect((await result).closed).toBe(true);
  });

  it('closes an idle tunnel after idleTimeoutMs', async () => {
    const echo: Server = createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const port = (echo.address() as { port: number }).port;
    const proxy = await startProxy(
      { allowHosts: [`localhost:${port}`], bypassHosts: ['localhost'] },
      { idleTimeoutMs: 200 },
    );
    const { socket } = await openTunnel(proxy.port, `localhost:${port}`);
    expect(await exchange(socket, 'hello', 10_000)).toEqual({ text: 'hello', closed: true });
    echo.close();
  });

  it('answers 502 when the upstream says nothing for idleTimeoutMs', async () => {
    const upstream = await httpUpstream();
    const proxy = await startProxy(
      { allowHosts: [`localhost:${upstream.port}`] },
      { idleTimeoutMs: 200 },
    );
    // The upstream's first (and only) byte would come after 8 s.
    const target = `http://localhost:${upstream.port}/sse?count=1&interval=8000`;
    const r = await rawExchange(
      proxy.port,
      `GET ${target} HTTP/1.1\r\nHost: localhost\r\n\r\n`,
      6000,
    );
    expect(r.text).toMatch(/^HTTP\/1\.1 502 /);
    expect(r.text).toContain('the upstream timed out');
    expect(r.closed).toBe(true);
  });

  it('cuts an intercepted stream whose upstream goes quiet for idleTimeoutMs', async () => {
    const { upstream, proxy } = await interceptedUpstream({ idleTimeoutMs: 200 });
    const { socket } = await openTunnel(proxy.port, `localhost:${upstream.port}`);
    const tls = await tlsOver(socket, proxy.ca.certPem, 'localhost');
    // One event at once, the next after 8 s: the stream is cut in between, unterminated.
    const req = `GET /sse?count=2&first=10&interval=8000 HTTP/1.1\r\nHost: localhost:${upstream.port}\r\n\r\n`;
    const r = await exchange(tls, req, 6000);
    expect(r.text).toMatch(/^HTTP\/1\.1 200 /);
    expect(r.text).toContain('data: 0 ');
    expect(r.text).not.toContain('data: 1 ');
    expect(r.text).not.toContain('\r\n0\r\n\r\n');
    expect(r.closed).toBe(true);
  });

  it('keeps an intercepted stream that is never quiet for idleTimeoutMs, however long', async () => {
    const { upstream, proxy } = await interceptedUpstream({ idleTimeoutMs: 300 });
    const { socket } = await openTunnel(proxy.port, `localhost:${upstream.port}`);
    const tls = await tlsOver(socket, proxy.ca.certPem, 'localhost');
    // 10 events 100 ms apart: a second in all, more than three idle timeouts.
    const req = `GET /sse?count=10&interval=100 HTTP/1.1\r\nHost: localhost:${upstream.port}\r\n\r\n`;
    const r = await exchange(tls, req, 3000);
    expect(r.text).toContain('data: 9 ');
    expect(r.text).toContain('\r\n0\r\n\r\n');
  });

  it('closes a kept-alive client connection idle for keepAliveTimeoutMs, as its responses say', async () => {
    const upstream = await httpUpstream();
    const proxy = await startProxy(
      { allowHosts: [`localhost:${upstream.port}`] },
      { keepAliveTimeoutMs: 1000 },
    );
    const socket = connect({ host: '127.0.0.1', port: proxy.port });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
    });
    const req = `GET http://localhost:${upstream.port}/ HTTP/1.1\r\nHost: localhost\r\n\r\n`;
    expect(await ask(socket, req)).toBe('HTTP/1.1 200 OK');
    // Kept: a second request on it is answered; then it idles past the second.
    expect(await ask(socket, req)).toBe('HTTP/1.1 200 OK');
    expect(text).toContain('\r\nkeep-alive: timeout=1\r\n');
    await closed;
    expect(socket.destroyed).toBe(true);
  });

  it('refuses a time option that is not a positive number of milliseconds', () => {
    const policy = compilePolicy({ policy: 'deny' });
    for (const [name, value] of [
      ['idleTimeoutMs', 0],
      ['headersTimeoutMs', -5],
      ['keepAliveTimeoutMs', Number.NaN],
      ['idleTimeoutMs', '300'],
    ] as const) {
      expect(() => createProxy({ policy, [name]: value } as ProxyOptions)).toThrow(
        expect.objectContaining({
          code: 'SBX_PROXY_OPTIONS',
          message: expect.stringContaining(`${name} must be a positive number of milliseconds`),
        }),
      );
    }
  });

  it('closes a client connection left waiting idleTimeoutMs (a resolver that never answers)', async () => {
    const proxy = await startProxy(
      { allowHosts: ['stuck.test'] },
      { idleTimeoutMs: 200, resolver: () => new Promise(() => {}) },
    );
    const req = 'GET http://stuck.test/ HTTP/1.1\r\nHost: stuck.test\r\n\r\n';
    expect(await rawExchange(proxy.port, req, 6000)).toEqual({ text: '', closed: true });
  });

  it('reports a refused upstream as 502, also inside a mitm tunnel', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const proxy = await startProxy({ allowHosts: [`localhost:${port}`] });
    const r = await curl(['-x', proxy.url, `http://localhost:${port}/`]);
    expect(r.status).toBe(502);
    const t = await curl(['-x', proxy.url, '--proxytunnel', `http://localhost:${port}/`]);
    expect(t.status).toBe(502);
  });
});
