// The proxy's upstream client against raw upstreams that answer byte by byte, out of the
// ordinary, or not at all: kept-alive reuse, framing, stale connections.
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { describe, expect, it } from 'vitest';
import type { CertificateAuthority } from '../src/index.ts';
import { closeWhenDone, curl, startProxy, until } from './harness.ts';
import { ask, rawExchange } from './raw.ts';
import { upstreamAuthority } from './servers.ts';
import { openTunnel, tlsOver } from './tunnel.ts';

interface Raw {
  port: number;
  connections: number;
  closed: number;
  /** Per TLS connection, whether it resumed an earlier session. */
  resumed: boolean[];
  /** Request lines, and whole heads (latin1: one char per byte). */
  requests: string[];
  heads: string[];
  close(): Promise<void>;
}

/**
 * A loopback upstream that hands each request head (bodies here are empty) to `answer` with
 * the socket and the request's index on its connection.
 */
async function rawUpstream(
  answer: (socket: Socket, head: string, index: number) => void,
  ca?: CertificateAuthority,
): Promise<Raw> {
  const raw: Raw = {
    port: 0,
    connections: 0,
    closed: 0,
    resumed: [],
    requests: [],
    heads: [],
    close: async () => {},
  };
  const onSocket = (socket: Socket) => {
    raw.connections++;
    if (ca) raw.resumed.push((socket as TLSSocket).isSessionReused());
    let buf = '';
    let index = 0;
    socket.on('error', () => {});
    socket.on('close', () => raw.closed++);
    socket.on('data', (c: Buffer) => {
      buf += c.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        raw.requests.push(head.split('\r\n')[0]!);
        raw.heads.push(head);
        answer(socket, head, index++);
      }
    });
  };
  const server: Server = ca
    ? createTlsServer(
        {
          secureContext: await ca.secureContext('localhost'),
          SNICallback: (name, cb) => {
            ca.secureContext(name).then((c) => cb(null, c), cb);
          },
        },
        onSocket,
      )
    : createServer(onSocket);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  raw.port = (server.address() as { port: number }).port;
  raw.close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.emit('close');
    });
  return closeWhenDone(raw);
}

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

/** Sends requests one after another on one kept-alive connection to the proxy; resolves with each status line. */
async function sequence(port: number, requests: string[]): Promise<string[]> {
  const socket = connect({ host: '127.0.0.1', port });
  const lines: string[] = [];
  for (const text of requests) lines.push(await ask(socket, text));
  socket.destroy();
  return lines;
}

describe('upstream connections', () => {
  it('carries sequential requests on one kept-alive upstream connection', async () => {
    const upstreamCa = await upstreamAuthority();
    for (const secure of [false, true]) {
      const upstream = await rawUpstream(
        (socket) => socket.write(OK),
        secure ? upstreamCa : undefined,
      );
      const proxy = await startProxy(
        { allowHosts: [`localhost:${upstream.port}`] },
        { upstreamCa: upstreamCa.certPem },
      );
      const base = `${secure ? 'https' : 'http'}://localhost:${upstream.port}`;
      const r = await curl([
        '-x',
        proxy.url,
        '--cacert',
        proxy.caFile,
        `${base}/a`,
        `${base}/b`,
        `${base}/c`,
      ]);
      // curl writes the status after each transfer.
      expect(r.body).toBe('ok\n200ok\n200ok');
      expect(upstream.requests).toEqual(['GET /a HTTP/1.1', 'GET /b HTTP/1.1', 'GET /c HTTP/1.1']);
      expect(upstream.connections).toBe(1);
    }
  });

  it("closes an idle connection within the server's Keep-Alive timeout, and then dials anew", async () => {
    const upstream = await rawUpstream((socket) =>
      socket.write('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=2\r\nContent-Length: 2\r\n\r\nok'),
    );
    const proxy = await startProxy({ allowHosts: [`localhost:${upstream.port}`] });
    const get = `GET http://localhost:${upstream.port}/ HTTP/1.1\r\nHost: localhost\r\n\r\n`;
    expect(await sequence(proxy.port, [get])).toEqual(['HTTP/1.1 200 OK']);
    // Kept a second less than the server's 2 s, closed by the next sweep after that.
    await until(() => upstream.closed === 1, 4000);
    expect(await sequence(proxy.port, [get])).toEqual(['HTTP/1.1 200 OK']);
    expect(upstream.connections).toBe(2);
  });

  it('resumes the TLS session of the last connection to the same origin', async () => {
    const upstreamCa = await upstreamAuthority();
    const upstream = await rawUpstream(
      (socket) => socket.end('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok'),
      upstreamCa,
    );
    const proxy = await startProxy(
      { allowHosts: [`localhost:${upstream.port}`] },
      { upstreamCa: upstreamCa.certPem },
    );
    const url = `https://localhost:${upstream.port}/`;
    const r = await curl(['-x', proxy.url, '--cacert', proxy.caFile, url, url, url]);
    expect(r.body).toBe('ok\n200ok\n200ok');
    expect(upstream.resumed).toEqual([false, true, true]);
  });

  it('dials the upstream while the client is still in its TLS handshake, and uses that connection', async () => {
    const upstreamCa = await upstreamAuthority();
    const upstream = await rawUpstream((socket) => socket.write(OK), upstreamCa);
    const proxy = await startProxy(
      { allowHosts: [`localhost:${upstream.port}`] },
      { upstreamCa: upstreamCa.certPem },
    );
    const { socket } = await openTunnel(proxy.port, `localhost:${upstream.port}`);
    const tls = await tlsOver(socket, proxy.ca.certPem, 'localhost');
    // Connected (TLS done) upstream before the client has sent any request.
    await until(() => upstream.connections === 1);
    expect(upstream.requests).toEqual([]);
    const get = `GET /early HTTP/1.1\r\nHost: localhost:${upstream.port}\r\n\r\n`;
    expect(await ask(tls as unknown as Socket, get)).toBe('HTTP/1.1 200 OK');
    expect(upstream.requests).toEqual(['GET /early HTTP/1.1']);
    expect(upstream.connections).toBe(1);
    tls.destroy();
  });

  it('passes on a chunked response that arrives a byte at a time', async () => {
    const text =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nT: v\r\n\r\n';
    const upstreamCa = await upstreamAuthority();
    const upstream = await rawUpstream((socket) => {
      let at = 0;
      const next = () => {
        if (at < text.length) socket.write(text[at++]!, () => setImmediate(next));
      };
      next();
    }, upstreamCa);
    const proxy = await startProxy(
      { allowHosts: [`localhost:${upstream.port}`] },
      { upstreamCa: upstreamCa.certPem },
    );
    const r = await curl([
      '-x',
      proxy.url,
      '--cacert',
      proxy.caFile,
      `https://localhost:${upstream.port}/`,
    ]);
    expect(r).toMatchObject({ status: 200, body: 'hello world', exit: 0 });
  });

  it('reads a body without framing until the upstream closes', async () => {
    const upstream = await rawUpstream((socket) => socket.end('HTTP/1.1 200 OK\r\n\r\nunframed'));
    const proxy = await startProxy({ allowHosts: [`localhost:${upstream.port}`] });
    const r = await curl(['-x', proxy.url, `http://localhost:${upstream.port}/`]);
    expect(r).toMatchObject({ status: 200, body: 'unframed', exit: 0 });
  });

  it('answers 502 to a response that two parsers could frame differently, and logs it', async () => {
    const upstream = await rawUpstream((socket) =>
      socket.write(
        'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      ),
    );
    const proxy = await startProxy({ allowHosts: [`localhost:${upstream.port}`] });
    const r = await curl(['-x', proxy.url, `http://localhost:${upstream.port}/x`]);
    expect(r.status).toBe(502);
    expect(r.body).toBe(
      `sbx proxy: localhost:${upstream.port} failed: the response has both Content-Length and Transfer-Encoding\n`,
    );
    await until(() => proxy.events.length === 1);
    expect(proxy.events[0]).toMatchObject({ action: 'allowed', status: 502, host: 'localhost' });
  });

  it('passes header bytes beyond ASCII through unchanged, both ways', async () => {
    const upstream = await rawUpstream((socket) =>
      socket.write(
        Buffer.from('HTTP/1.1 200 OK\r\nX-Back: na\xefve\r\nContent-Length: 0\r\n\r\n', 'latin1'),
      ),
    );
    const proxy = await startProxy({ allowHosts: [`localhost:${upstream.port}`] });
    const request = `GET http://localhost:${upstream.port}/ HTTP/1.1\r\nHost: localhost\r\nX-Name: caf\xe9\r\n\r\n`;
    const { text } = await rawExchange(proxy.port, Buffer.from(request, 'latin1'), 500);
    expect(upstream.heads[0]).toContain('\r\nX-Name: caf\xe9\r\n');
    expect(text).toContain('\r\nX-Back: na\xefve\r\n');
  });

  it('repeats a GET, never a POST, when a kept-alive connection closes before answering', async () => {
    // Each connection answers its first request and drops the second: a server closing an
    // idle keep-alive connection just as the proxy reuses it.
    const upstream = await rawUpstream((socket, _head, index) => {
      if (index === 0) socket.write(OK);
      else socket.destroy();
    });
    const proxy = await startProxy({ allowHosts: [`localhost:${upstream.port}`] });
    const url = `http://localhost:${upstream.port}`;
    const get = `GET ${url}/get HTTP/1.1\r\nHost: localhost\r\n\r\n`;
    const post = `POST ${url}/post HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n`;
    expect(await sequence(proxy.port, [get, get])).toEqual(['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
    expect(upstream.connections).toBe(2);
    upstream.requests.length = 0;
    expect(await sequence(proxy.port, [get, post])).toEqual([
      'HTTP/1.1 200 OK',
      'HTTP/1.1 502 Bad Gateway',
    ]);
    expect(upstream.requests.filter((r) => r.startsWith('POST'))).toHaveLength(1);
  });
});
