import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { type Running, startProxy, until } from './harness.ts';
import { rawExchange } from './raw.ts';
import { httpUpstream, interceptedUpstream, pattern } from './servers.ts';
import { exchange, openTunnel, tlsOver } from './tunnel.ts';

// sbx's own HTTP/1.1 server side (client.ts): what a client connection gets besides the
// single request per connection that the other suites mostly send.

async function forwardSetup(): Promise<{ proxy: Running; base: string; seen: () => string[] }> {
  const upstream = await httpUpstream();
  const proxy = await startProxy({ allowHosts: [`localhost:${upstream.port}`] });
  return {
    proxy,
    base: `http://localhost:${upstream.port}`,
    seen: () => upstream.seen.map((s) => `${s.method} ${s.url}`),
  };
}

/** The status lines and bodies of the responses in `text`, in order (Content-Length bodies). */
function statusLines(text: string): string[] {
  return text.match(/^HTTP\/1\.1 \d+ .*$/gm) ?? [];
}

describe('the proxy as an HTTP/1.1 server', () => {
  it('answers pipelined requests in order, one at a time', async () => {
    const { proxy, base, seen } = await forwardSetup();
    const requests = ['/echo?i=1', '/echo?i=2', '/echo?i=3']
      .map((p) => `GET ${base}${p} HTTP/1.1\r\nHost: x\r\n\r\n`)
      .join('');
    const r = await rawExchange(
      proxy.port,
      `${requests}GET ${base}/echo?i=4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    expect(statusLines(r.text)).toEqual(Array(4).fill('HTTP/1.1 200 OK'));
    // Kept alive (and saying for how long) but for the last, which asked to close.
    expect(r.text.match(/^(keep-alive|connection): .*$/gim)).toEqual([
      ...Array(3).fill('keep-alive: timeout=60'),
      'connection: close',
    ]);
    expect(r.text.match(/"url":"[^"]+"/g)).toEqual([
      '"url":"/echo?i=1"',
      '"url":"/echo?i=2"',
      '"url":"/echo?i=3"',
      '"url":"/echo?i=4"',
    ]);
    expect(r.closed).toBe(true);
    expect(seen()).toEqual(['GET /echo?i=1', 'GET /echo?i=2', 'GET /echo?i=3', 'GET /echo?i=4']);
  });

  it('answers pipelined requests inside an intercepted TLS tunnel', async () => {
    const { upstream, proxy } = await interceptedUpstream();
    const { socket } = await openTunnel(proxy.port, `localhost:${upstream.port}`);
    const tls = await tlsOver(socket, proxy.ca.certPem, 'localhost');
    const host = `Host: localhost:${upstream.port}\r\n`;
    const r = await exchange(
      tls as unknown as Socket,
      `GET /a HTTP/1.1\r\n${host}\r\nGET /b HTTP/1.1\r\n${host}Connection: close\r\n\r\n`,
    );
    expect(statusLines(r.text)).toEqual(['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
    expect(r.closed).toBe(true);
    expect(upstream.seen.map((s) => s.url)).toEqual(['/a', '/b']);
  });

  it('stops taking pipelined requests from a client that reads no answers, and goes on when it reads', async () => {
    const { proxy, base, seen } = await forwardSetup();
    // Answers small enough to arrive whole in one read (so each one completes at once), and
    // all together far more than the kernel's buffers hold.
    const count = 1500;
    const size = 16 * 1024;
    const socket = connect(proxy.port, '127.0.0.1');
    socket.pause();
    socket.write(
      `GET ${base}/bytes?n=${size} HTTP/1.1\r\nHost: x\r\n\r\n`.repeat(count) +
        `GET ${base}/echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    // Until the upstream has seen no new request for half a second.
    let last = -1;
    while (seen().length !== last) {
      last = seen().length;
      await new Promise((r) => setTimeout(r, 500));
    }
    // The kernel's buffers hold some answers (several MiB on loopback); not all (24 MiB).
    expect(last).toBeGreaterThan(0);
    expect(last).toBeLessThan(count * 0.7);
    // Reading, it gets every answer, the last of which closes the connection.
    let bytes = 0;
    await new Promise<void>((resolve) => {
      socket.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      socket.on('end', resolve);
      socket.resume();
    });
    socket.destroy();
    expect(seen()).toHaveLength(count + 1);
    expect(bytes).toBeGreaterThan(count * size);
  });

  it('gives an HTTP/1.0 client a body delimited by the close, not chunked', async () => {
    const { proxy, base } = await forwardSetup();
    // /sse answers without a Content-Length: chunked to HTTP/1.1 clients.
    const r = await rawExchange(proxy.port, `GET ${base}/sse?count=3&interval=5 HTTP/1.0\r\n\r\n`);
    const [head, body] = r.text.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(head).toMatch(/\r\nconnection: close$/im);
    expect(head).not.toMatch(/transfer-encoding/i);
    expect(body!.match(/^data: \d+ \d+$/gm)).toHaveLength(3);
    expect(r.closed).toBe(true);
    const chunked = await rawExchange(
      proxy.port,
      `GET ${base}/sse?count=1&interval=5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    expect(chunked.text).toMatch(/\r\ntransfer-encoding: chunked\r\n/i);
    expect(chunked.text.endsWith('\r\n0\r\n\r\n')).toBe(true);
  });

  it('still answers a client that closed its sending side after its (pipelined) requests', async () => {
    const { proxy, base } = await forwardSetup();
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(proxy.port, '127.0.0.1');
      let got = '';
      socket.on('data', (c: Buffer) => {
        got += c.toString('latin1');
      });
      socket.on('close', () => resolve(got));
      socket.on('error', reject);
      socket.end(`GET ${base}/echo HTTP/1.1\r\nHost: x\r\n\r\n`.repeat(3));
    });
    expect(statusLines(text)).toEqual(Array(3).fill('HTTP/1.1 200 OK'));
  });

  it('streams a chunked upload sent in odd pieces, and the upstream reads exactly its bytes', async () => {
    const { proxy, base } = await forwardSetup();
    const data = pattern(300_000);
    const socket = connect(proxy.port, '127.0.0.1');
    const answer = new Promise<string>((resolve) => {
      let got = '';
      socket.on('data', (c: Buffer) => {
        got += c.toString('latin1');
      });
      socket.on('close', () => resolve(got));
    });
    socket.write(
      `POST ${base}/hash HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`,
    );
    // Chunks of varied sizes, with an extension, each chunk line written in two pieces.
    let at = 0;
    for (let size = 1; at < data.length; size = (size * 7 + 3) % 40_000) {
      const part = data.subarray(at, at + size + 1);
      at += part.length;
      const line = `${part.length.toString(16)};x=y\r\n`;
      socket.write(line.slice(0, 2));
      socket.write(Buffer.concat([Buffer.from(line.slice(2)), part, Buffer.from('\r\n')]));
    }
    socket.write('0\r\nX-Trailer: t\r\n\r\n');
    const text = await answer;
    const body = JSON.parse(
      text.slice(text.indexOf('\r\n\r\n') + 4).replace(/^[0-9a-f]+\r\n|\r\n0\r\n\r\n$/g, ''),
    );
    expect(body).toEqual({
      bytes: data.length,
      sha256: createHash('sha256').update(data).digest('hex'),
    });
  });

  it.each([
    [
      'an expectation other than 100-continue',
      'Expect: something\r\n',
      'HTTP/1.1 417 Expectation Failed',
    ],
    ['two Host headers', 'Host: y\r\n', 'HTTP/1.1 400 Bad Request'],
  ])('refuses %s, logs it, and closes', async (_name, extra, status) => {
    const { proxy, base, seen } = await forwardSetup();
    const r = await rawExchange(
      proxy.port,
      `GET ${base}/x?k=v HTTP/1.1\r\nHost: x\r\n${extra}\r\n`,
    );
    expect([r.text.split('\r\n')[0], r.closed]).toEqual([status, true]);
    await until(() => proxy.events.length === 1);
    const [event] = proxy.events;
    expect([event!.method, event!.url, event!.action, event!.status]).toEqual([
      'GET',
      `${base}/x?k=`,
      'denied',
      Number(status.split(' ')[1]),
    ]);
    expect(seen()).toEqual([]);
  });

  it('answers 505 to an HTTP version other than 1.0 and 1.1', async () => {
    const { proxy, base } = await forwardSetup();
    const r = await rawExchange(proxy.port, `GET ${base}/ HTTP/2.0\r\nHost: x\r\n\r\n`);
    expect([r.text.split('\r\n')[0], r.closed]).toEqual([
      'HTTP/1.1 505 HTTP Version Not Supported',
      true,
    ]);
  });

  it('answers a denied upload at once and closes without reading its body', async () => {
    const proxy = await startProxy({ policy: 'deny' });
    const r = await rawExchange(
      proxy.port,
      `POST http://denied.test/ HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\npartial`,
    );
    expect([r.text.split('\r\n')[0], r.closed]).toEqual(['HTTP/1.1 403 Forbidden', true]);
    expect(r.text).toMatch(/\r\nconnection: close\r\n/i);
  });

  it('keeps a connection with a malformed body from reaching the upstream as complete', async () => {
    const { proxy, base } = await forwardSetup();
    const r = await rawExchange(
      proxy.port,
      `POST ${base}/hash HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n`,
    );
    expect(r.closed).toBe(true);
    expect(r.text).not.toMatch(/"bytes"/);
  });
});
