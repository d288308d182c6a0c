import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyEvent } from '../src/index.ts';
import { curl, type Running, startProxy, until } from './harness.ts';
import { rawExchange } from './raw.ts';
import { httpUpstream, interceptedUpstream } from './servers.ts';
import { exchange, openTunnel, tlsOver } from './tunnel.ts';

let proxy: Running | undefined;

/** Listens on 127.0.0.1 and ::1 at one port and counts every connection that reaches it. */
async function sentinel(): Promise<{ port: number; hits: () => number; close(): Promise<void> }> {
  let hits = 0;
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const make = () => {
    const s = createServer((_req, res) => res.end('reached'));
    s.on('connection', (socket: Socket) => {
      hits++;
      sockets.add(socket);
    });
    servers.push(s);
    return s;
  };
  const first = make();
  await new Promise<void>((r) => first.listen(0, '127.0.0.1', r));
  const port = (first.address() as AddressInfo).port;
  await new Promise<void>((r) => make().listen(port, '::1', r));
  return {
    port,
    hits: () => hits,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
}

describe('encoded blocked destinations (--allow-host *)', () => {
  let guard: Awaited<ReturnType<typeof sentinel>>;
  beforeAll(async () => {
    guard = await sentinel();
  });
  afterAll(() => guard.close());

  // @sbx/policy's table of spellings (src/encodings.test.ts), sent as clients send them.
  const encoded = [
    '127.0.0.1',
    '2130706433',
    '0x7f.1',
    '0x7F000001',
    '0177.0.0.1',
    '127.1',
    '127.0.0.1.',
    '127.000.000.001',
    '１２７.０.０.１',
    'localhost',
    'LOCALHOST.',
    'LocalHost',
    'host.docker.internal',
    'HOST.DOCKER.INTERNAL.',
    '[::ffff:127.0.0.1]',
    '[::ffff:7f00:1]',
    '[::127.0.0.1]',
    '[2002:7f00:1::]',
    '[2002:7f00:1:ffff::1]',
    '[64:ff9b::7f00:1]',
    '[64:ff9b::127.0.0.1]',
    '[::1]',
    '[0:0:0:0:0:0:0:1]',
    '[::]',
    '0.0.0.0',
    '0',
    '[::ffff:0.0.0.0]',
    '[fe80::1%25eth0]',
    '[FE80::1%25eth0]',
    '[fd12:3456::1]',
    '169.254.169.254',
    '0xa9fea9fe',
    '[::ffff:169.254.169.254]',
    '[64:ff9b::a9fe:a9fe]',
    '[2002:a00:1::]',
    '012.1',
    '172.31.255.255',
    '192.168.0.1',
    '3232235521',
  ];

  // sbx's request parser refuses raw non-ASCII bytes in a request line before the policy sees them.
  const rawRefusal = (host: string) =>
    /^[\x20-\x7e]*$/.test(host) ? 'HTTP/1.1 403 Forbidden' : 'HTTP/1.1 400 Bad Request';

  // Even `--allow-host *` keeps the blocked ranges closed: only explicit host rules lift them.
  const policy = { allowHosts: ['*'] };

  it.each(encoded)('refuses http://%s through the forward proxy', async (host) => {
    proxy = await startProxy(policy, { resolver: async () => [] });
    const r = await curl(['-x', proxy.url, `http://${host}:${guard.port}/`]);
    expect([r.status, r.body.startsWith('sbx proxy:')]).toEqual([403, true]);
    const raw = await rawExchange(
      proxy.port,
      `GET http://${host}:${guard.port}/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    expect(raw.text.split('\r\n')[0]).toBe(rawRefusal(host));
    expect(guard.hits()).toBe(0);
  });

  it.each(encoded)('refuses CONNECT %s', async (host) => {
    proxy = await startProxy(policy, { resolver: async () => [] });
    const r = await curl(['-x', proxy.url, '--proxytunnel', `http://${host}:${guard.port}/`]);
    expect(r.exit).toBe(56);
    const { head } = await openTunnel(proxy.port, `${host}:${guard.port}`).catch(() => ({
      head: 'error',
    }));
    expect(head.split('\r\n')[0]).toBe(rawRefusal(host));
    expect(guard.hits()).toBe(0);
  });
});

describe('DNS', () => {
  it('dials the address it checked while the name rebinds on every lookup', async () => {
    const legit = await httpUpstream('127.0.0.1');
    const secret = createServer((_q, res) => res.end('secret'));
    let secretHits = 0;
    secret.on('connection', () => secretHits++);
    await new Promise<void>((r) => secret.listen(legit.port, '127.0.0.2', r));
    let calls = 0;
    proxy = await startProxy(
      { allowCidrs: ['127.0.0.1/32'] },
      { resolver: async () => (++calls % 2 === 1 ? ['127.0.0.1'] : ['127.0.0.2']) },
    );
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await curl(['-x', proxy.url, `http://rebind.test:${legit.port}/`])).status);
    }
    for (let i = 0; i < 4; i++) {
      const r = await curl(['-x', proxy.url, '--proxytunnel', `http://rebind.test:${legit.port}/`]);
      statuses.push(r.status === 0 ? 403 : r.status);
    }
    await new Promise((r) => secret.close(r));
    expect(statuses).toEqual([200, 403, 200, 403, 200, 403, 200, 403]);
    expect(calls).toBe(8);
    expect(secretHits).toBe(0);
    expect(legit.seen.every((s) => s.headers.host === `rebind.test:${legit.port}`)).toBe(true);
  });

  it('lets the policy pick among the addresses of one lookup', async () => {
    const legit = await httpUpstream('127.0.0.1');
    proxy = await startProxy(
      { allowCidrs: ['127.0.0.1/32'] },
      { resolver: async () => ['127.0.0.2', '127.0.0.1'] },
    );
    const r = await curl(['-x', proxy.url, `http://pick.test:${legit.port}/`]);
    expect(r.status).toBe(200);
    await until(() => proxy!.events.length === 1);
    expect(proxy.events[0]!.address).toBe('127.0.0.1');
  });

  it('does not look up a name the host rules deny', async () => {
    const names: string[] = [];
    proxy = await startProxy(
      { policy: 'deny', blockHosts: ['*.leak.test'] },
      {
        resolver: async (name) => {
          names.push(name);
          return ['192.0.2.1'];
        },
      },
    );
    expect((await curl(['-x', proxy.url, 'http://secret-data.leak.test/'])).status).toBe(403);
    expect((await curl(['-x', proxy.url, 'http://other.test/'])).status).toBe(403);
    expect(names).toEqual([]);
  });
});

describe('TLS interception checks', () => {
  async function setup() {
    const intercepted = await interceptedUpstream();
    proxy = intercepted.proxy;
    return intercepted.upstream;
  }

  it('closes a tunnel whose TLS server name differs from the CONNECT host', async () => {
    const upstream = await setup();
    const { socket } = await openTunnel(proxy!.port, `localhost:${upstream.port}`);
    await expect(tlsOver(socket, proxy!.ca.certPem, 'evil.example')).rejects.toThrow();
    await until(() => proxy!.events.length === 1);
    expect(proxy!.events[0]).toMatchObject({ type: 'tunnel', action: 'denied' });
    expect(upstream.seen).toEqual([]);
  });

  it('closes a tunnel to a name whose client sends no server name', async () => {
    const upstream = await setup();
    const { socket } = await openTunnel(proxy!.port, `localhost:${upstream.port}`);
    const tls = await tlsOver(socket, proxy!.ca.certPem, false).catch(() => undefined);
    if (tls) {
      const r = await exchange(tls, `GET / HTTP/1.1\r\nHost: localhost:${upstream.port}\r\n\r\n`);
      expect(r.text).toBe('');
    }
    expect(upstream.seen).toEqual([]);
  });

  it.each([
    ['another host', 'evil.example:PORT'],
    ['another port', 'localhost:1'],
    ['no port (means 443)', 'localhost'],
    ['a decimal IP', '2130706433:PORT'],
  ])('answers 421 to a Host naming %s (domain fronting)', async (_name, host) => {
    const upstream = await setup();
    const { socket } = await openTunnel(proxy!.port, `localhost:${upstream.port}`);
    const tls = await tlsOver(socket, proxy!.ca.certPem, 'localhost');
    const hostHeader = host.replace('PORT', String(upstream.port));
    const r = await exchange(tls, `GET / HTTP/1.1\r\nHost: ${hostHeader}\r\n\r\n`);
    expect(r.text.split('\r\n')[0]).toBe('HTTP/1.1 421 Misdirected Request');
    expect(r.closed).toBe(true);
    expect(upstream.seen).toEqual([]);
  });

  it('checks the Host of every request on a kept-alive tunnel, not only the first', async () => {
    const upstream = await setup();
    const { socket } = await openTunnel(proxy!.port, `localhost:${upstream.port}`);
    const tls = await tlsOver(socket, proxy!.ca.certPem, 'localhost');
    const good = `GET / HTTP/1.1\r\nHost: localhost:${upstream.port}\r\n\r\n`;
    const bad = 'GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n';
    const r = await exchange(tls, good + good + bad);
    expect(r.text.match(/^HTTP\/1\.1 \d+ .*$/gm)).toEqual([
      'HTTP/1.1 200 OK',
      'HTTP/1.1 200 OK',
      'HTTP/1.1 421 Misdirected Request',
    ]);
    expect(upstream.seen.length).toBe(2);
  });

  it('answers 421 to an absolute URL naming another host inside the tunnel', async () => {
    const upstream = await setup();
    const { socket } = await openTunnel(proxy!.port, `localhost:${upstream.port}`);
    const tls = await tlsOver(socket, proxy!.ca.certPem, 'localhost');
    const r = await exchange(
      tls,
      `GET https://evil.example/ HTTP/1.1\r\nHost: localhost:${upstream.port}\r\n\r\n`,
    );
    expect(r.text.split('\r\n')[0]).toBe('HTTP/1.1 421 Misdirected Request');
  });

  it('refuses CONNECT inside an intercepted tunnel', async () => {
    const upstream = await setup();
    const { socket } = await openTunnel(proxy!.port, `localhost:${upstream.port}`);
    const tls = await tlsOver(socket, proxy!.ca.certPem, 'localhost');
    const r = await exchange(tls, 'CONNECT 10.0.0.1:22 HTTP/1.1\r\nHost: 10.0.0.1:22\r\n\r\n');
    expect([r.text.split('\r\n')[0], r.closed]).toEqual(['HTTP/1.1 405 Method Not Allowed', true]);
  });

  it('closes a mitm tunnel that carries neither TLS nor HTTP', async () => {
    const upstream = await setup();
    const { socket } = await openTunnel(proxy!.port, `localhost:${upstream.port}`);
    const r = await exchange(socket, '\x00\x01raw tcp');
    expect(r).toEqual({ text: '', closed: true });
    await until(() => proxy!.events.length === 1);
    expect(proxy!.events[0]).toMatchObject({ type: 'tunnel', action: 'denied', status: 200 });
  });

  it('serves plain HTTP inside a mitm tunnel, checking Host the same way', async () => {
    const upstream = await httpUpstream();
    proxy = await startProxy({ allowHosts: [`localhost:${upstream.port}`] });
    const r = await curl(['-x', proxy.url, '--proxytunnel', `http://localhost:${upstream.port}/x`]);
    expect(r.status).toBe(200);
    const { socket } = await openTunnel(proxy.port, `localhost:${upstream.port}`);
    const bad = await exchange(socket, 'GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n');
    expect(bad.text.split('\r\n')[0]).toBe('HTTP/1.1 421 Misdirected Request');
  });
});

function brief(e: ProxyEvent) {
  return [e.type, e.method, e.url, e.host, e.action, e.status];
}

describe('malformed and smuggled requests', () => {
  async function setup() {
    const upstream = await httpUpstream();
    proxy = await startProxy({ allowHosts: [`localhost:${upstream.port}`] });
    return { url: `http://localhost:${upstream.port}/`, upstream };
  }

  it.each([
    [
      'Content-Length with Transfer-Encoding',
      'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n',
    ],
    ['two Content-Lengths', 'Content-Length: 5\r\nContent-Length: 6\r\n'],
    ['a folded header', 'X-A: a\r\n b\r\n'],
    ['a control character in a value', 'X-A: a\x01b\r\n'],
    ['a space before the colon', 'X-A : b\r\n'],
    ['a bare LF line end', 'X-A: b\n'],
    ['Transfer-Encoding not ending in chunked', 'Transfer-Encoding: chunked, identity\r\n'],
  ])('answers 400 and closes on %s', async (_name, headers) => {
    const { url, upstream } = await setup();
    const r = await rawExchange(
      proxy!.port,
      `POST ${url}?q=1 HTTP/1.1\r\nHost: x\r\n${headers}\r\n0\r\n\r\nGET ${url}smuggled HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    expect([r.text.split('\r\n')[0], r.closed]).toEqual(['HTTP/1.1 400 Bad Request', true]);
    expect(upstream.seen).toEqual([]);
    await until(() => proxy!.events.length === 1);
    expect(proxy!.events.map(brief)).toEqual([
      ['request', 'POST', `${url}?q=`, 'localhost', 'denied', 400],
    ]);
  });

  it('logs a request refused inside a TLS tunnel with the tunnel host', async () => {
    const { url } = await setup();
    const { port } = new URL(url);
    const { socket } = await openTunnel(proxy!.port, `localhost:${port}`);
    const tls = await tlsOver(socket, proxy!.ca.certPem, 'localhost');
    const r = await exchange(tls, 'GET /a?key=secret HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n');
    expect([r.text.split('\r\n')[0], r.closed]).toEqual(['HTTP/1.1 400 Bad Request', true]);
    await until(() => proxy!.events.length === 2);
    expect(proxy!.events.filter((e) => e.type === 'request').map(brief)).toEqual([
      ['request', 'GET', `https://localhost:${port}/a?key=`, 'localhost', 'denied', 400],
    ]);
  });

  it('answers 431 to headers over 64 KiB, and logs it', async () => {
    const { url } = await setup();
    const r = await rawExchange(
      proxy!.port,
      `GET ${url} HTTP/1.1\r\nHost: x\r\nX-A: ${'a'.repeat(66_000)}\r\n\r\n`,
    );
    expect(r.text.split('\r\n')[0]).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    await until(() => proxy!.events.length === 1);
    const [event] = proxy!.events;
    expect([event!.type, event!.action, event!.status]).toEqual(['request', 'denied', 431]);
  });

  it('survives a fuzz of malformed request lines and headers, also inside TLS tunnels', async () => {
    const { url } = await setup();
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const pieces = [
      'GET',
      'POST',
      'CONNECT',
      'G\x00T',
      ' ',
      '  ',
      url,
      'localhost:1',
      '*',
      '/',
      'http://',
      'HTTP/1.1',
      'HTTP/9.9',
      'HTTP/1.1\r\n',
      '\r\n',
      '\n',
      '\r',
      ':',
      'Host: x\r\n',
      'Content-Length: 3\r\n',
      'Content-Length: -1\r\n',
      'Transfer-Encoding: chunked\r\n',
      'Upgrade: websocket\r\nConnection: upgrade\r\n',
      '\x7f',
      '\xff\xfe',
      '%00',
      '[',
      ']',
      '@',
      'Expect: 100-continue\r\n',
      'ffffffffffff\r\n',
      '0\r\n\r\n',
      'X'.repeat(5000),
    ];
    const cases: string[] = [];
    for (let i = 0; i < 300; i++) {
      let s = rand(3) === 0 ? '' : `GET ${url} HTTP/1.1\r\n`;
      const n = 1 + rand(10);
      for (let j = 0; j < n; j++) s += pieces[rand(pieces.length)];
      cases.push(`${s}\r\n\r\n`);
    }
    const unhandled: unknown[] = [];
    const record = (error: unknown) => unhandled.push(error);
    process.on('unhandledRejection', record);
    process.on('uncaughtException', record);
    const authority = new URL(url).host;
    const inTunnels = async (c: string) => {
      const { socket } = await openTunnel(proxy!.port, authority);
      return exchange(await tlsOver(socket, proxy!.ca.certPem, 'localhost'), c, 1500);
    };
    const results = await Promise.all([
      ...cases.map((c) => rawExchange(proxy!.port, Buffer.from(c, 'latin1'), 1500)),
      ...cases.slice(0, 60).map(inTunnels),
    ]).finally(() => {
      process.off('unhandledRejection', record);
      process.off('uncaughtException', record);
    });
    expect(unhandled).toEqual([]);
    const answers = results.map((r) => r.text === '' || r.text.startsWith('HTTP/1.1 '));
    expect(answers.filter((ok) => !ok)).toEqual([]);
    expect((await curl(['-x', proxy!.url, url])).status).toBe(200);
  }, 30_000);
});
