import { describe, expect, it } from 'vitest';
import { curl, startProxy, until } from './harness.ts';
import { httpsUpstream, httpUpstream, interceptedUpstream, upstreamAuthority } from './servers.ts';

describe('plain HTTP forwarding', () => {
  it('forwards to the request-line authority, rewrites Host, strips hop-by-hop, adds Via', async () => {
    const upstream = await httpUpstream();
    const proxy = await startProxy({ allowHosts: [`localhost:${upstream.port}`] });
    const before = Date.now();
    const r = await curl([
      '-x',
      proxy.url,
      '-H',
      'Host: evil.example',
      '-H',
      'Proxy-Authorization: Basic c2VjcmV0',
      '-H',
      'Connection: x-private',
      '-H',
      'X-Private: 1',
      '-H',
      'Keep-Alive: timeout=5',
      `http://localhost:${upstream.port}/echo?token=abc&x=1`,
    ]);
    expect(r.status).toBe(200);
    const seen = upstream.seen[0]!;
    expect(seen.url).toBe('/echo?token=abc&x=1');
    expect(seen.headers.host).toBe(`localhost:${upstream.port}`);
    expect(seen.headers['proxy-authorization']).toBeUndefined();
    expect(seen.headers['x-private']).toBeUndefined();
    expect(seen.headers['keep-alive']).toBeUndefined();
    expect(seen.headers.via).toBe('1.1 sbx');
    await until(() => proxy!.events.length === 1);
    // The time the request came, in ISO 8601 with milliseconds.
    const { ts } = proxy.events[0]!;
    expect(ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(ts)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(ts)).toBeLessThanOrEqual(Date.now());
    expect({ ...proxy.events[0], ts: 'T', durationMs: 0 }).toEqual({
      ts: 'T',
      sandbox: 'test',
      type: 'request',
      method: 'GET',
      url: `http://localhost:${upstream.port}/echo?token=&x=`,
      host: 'localhost',
      port: upstream.port,
      address: '127.0.0.1',
      action: 'allowed',
      rule: `localhost:${upstream.port}`,
      status: 200,
      bytesIn: Buffer.byteLength(r.body),
      bytesOut: 0,
      durationMs: 0,
    });
  });

  it('drops hop-by-hop headers of the response and keeps repeated ones', async () => {
    const upstream = await httpUpstream();
    const proxy = await startProxy({ allowHosts: [`localhost:${upstream.port}`] });
    const res = await fetchHead(proxy.port, `http://localhost:${upstream.port}/`);
    expect(res.headers['x-hop']).toBeUndefined();
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(res.headers.via).toBe('1.1 sbx');
  });
});

describe('denials', () => {
  it.each([
    [
      'the default policy',
      { policy: 'deny' as const },
      'other.test',
      'sbx proxy: other.test:80 is blocked by the default policy (deny)\nto allow it: sbx network proxy test --allow-host other.test\n',
    ],
    [
      'a host rule',
      { blockHosts: ['*.evil.test'] },
      'api.evil.test',
      'sbx proxy: api.evil.test:80 is blocked by the host rule *.evil.test\nto allow it: sbx network proxy test --allow-host api.evil.test\n',
    ],
    [
      'an address rule',
      {},
      'internal.test',
      'sbx proxy: internal.test:80 (10.1.2.3) is blocked by the address rule 10.0.0.0/8\nto allow it: sbx network proxy test --allow-cidr 10.1.2.3/32\n',
    ],
    [
      'the loopback rule',
      {},
      'localhost',
      'sbx proxy: localhost:80 is on this machine and blocked by the address rule 127.0.0.0/8\nto allow this port: sbx network proxy test --allow-host localhost:80\n',
    ],
  ])('names %s and the command that would allow it', async (_name, config, host, text) => {
    const proxy = await startProxy(config, { resolver: async () => ['10.1.2.3'] });
    const r = await curl(['-x', proxy.url, `http://${host}/`]);
    expect([r.status, r.body]).toEqual([403, text]);
    const t = await curl(['-x', proxy.url, '--proxytunnel', `http://${host}/`]);
    expect(t.exit).toBe(56);
  });
});

describe('host.docker.internal', () => {
  it('is matched and dialled as localhost, the Host header kept as asked', async () => {
    const upstream = await httpUpstream();
    const proxy = await startProxy({ allowHosts: [`localhost:${upstream.port}`] });
    const r = await curl(['-x', proxy.url, `http://host.docker.internal:${upstream.port}/`]);
    expect(r.status).toBe(200);
    expect(upstream.seen[0]!.headers.host).toBe(`host.docker.internal:${upstream.port}`);
  });
});

describe('CONNECT', () => {
  it('intercepts TLS with a leaf for the CONNECT host and serves requests inside', async () => {
    const { upstream, proxy } = await interceptedUpstream();
    const r = await curl([
      '-x',
      proxy.url,
      '--cacert',
      proxy.caFile,
      `https://localhost:${upstream.port}/echo`,
    ]);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).headers.host).toBe(`localhost:${upstream.port}`);
    await until(() => proxy!.events.length === 2);
    // A tunnel's event comes when it closes, which may be before or after its last request's.
    const events = [...proxy.events].sort((a, b) => a.type.localeCompare(b.type));
    expect(events.map((e) => [e.type, e.method, e.action, e.status, e.url])).toEqual([
      ['request', 'GET', 'allowed', 200, `https://localhost:${upstream.port}/echo`],
      ['tunnel', 'CONNECT', 'allowed', 200, `tcp://localhost:${upstream.port}`],
    ]);
  });

  it('splices a bypass tunnel without interception', async () => {
    const upstreamCa = await upstreamAuthority();
    const upstream = await httpsUpstream(upstreamCa);
    const proxy = await startProxy({
      allowHosts: [`localhost:${upstream.port}`],
      bypassHosts: ['localhost'],
    });
    const caFile = `${proxy.caFile}.upstream`;
    await import('node:fs/promises').then((fs) => fs.writeFile(caFile, upstreamCa.certPem));
    const r = await curl([
      '-x',
      proxy.url,
      '--cacert',
      caFile,
      `https://localhost:${upstream.port}/echo`,
    ]);
    expect(r.status).toBe(200);
    await until(() => proxy!.events.length === 1);
    expect(proxy.events[0]).toMatchObject({ type: 'tunnel', action: 'bypassed', status: 200 });
    expect(proxy.events[0]!.bytesIn).toBeGreaterThan(r.body.length);
  });
});

async function fetchHead(port: number, url: string) {
  const { request } = await import('node:http');
  return new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: url, method: 'GET' }, (res) => {
      res.resume();
      resolve(res);
    });
    req.on('error', reject);
    req.end();
  });
}
