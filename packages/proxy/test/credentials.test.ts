import { describe, expect, it } from 'vitest';
import type { Credentials } from '../src/index.ts';
import { curl, type Running, startProxy, until } from './harness.ts';
import { httpsUpstream, httpUpstream, type Upstream, upstreamAuthority } from './servers.ts';

const SECRET = 'sk-test-5ecret-value';
let proxy: Running | undefined;
let upstream: Upstream | undefined;

async function setup(credentials: (port: number) => Credentials, bypass = false) {
  const upstreamCa = await upstreamAuthority();
  upstream = await httpsUpstream(upstreamCa);
  const port = upstream.port;
  proxy = await startProxy(
    { allowHosts: [`localhost:${port}`], bypassHosts: bypass ? ['localhost'] : [] },
    { upstreamCa: upstreamCa.certPem, credentials: credentials(port) },
  );
  return { port, upstreamCa };
}

const rule = (
  port: number,
  secret: string | undefined,
  format = 'Bearer {value}',
): Credentials => ({
  rules: [{ host: `localhost:${port}`, header: 'Authorization', format, env: 'TEST_API_KEY' }],
  secret: (env) => (env === 'TEST_API_KEY' ? secret : undefined),
});

describe('credential injection', () => {
  it('replaces the placeholder inside an intercepted tunnel', async () => {
    const { port } = await setup((p) => rule(p, SECRET));
    const r = await curl([
      '-x',
      proxy!.url,
      '--cacert',
      proxy!.caFile,
      '-H',
      'authorization: Bearer proxy-managed',
      '-H',
      'AUTHORIZATION: Bearer second-copy',
      `https://localhost:${port}/echo`,
    ]);
    expect(r.status).toBe(200);
    expect(upstream!.seen[0]!.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(r.body.includes('proxy-managed')).toBe(false);
    await until(() => proxy!.events.length === 2);
    expect(JSON.stringify(proxy!.events).includes(SECRET)).toBe(false);
  });

  it('injects on plain HTTP forwarding too, matching patterns like the policy', async () => {
    upstream = await httpUpstream();
    const port = upstream.port;
    proxy = await startProxy(
      { allowHosts: [`localhost:${port}`] },
      {
        credentials: {
          rules: [
            { host: '*', header: 'x-api-key', format: '{value}', env: 'WRONG' },
            { host: `LOCALHOST.:${port}`, header: 'x-api-key', format: '{value}', env: 'RIGHT' },
          ],
          secret: (env) => `${env}-${SECRET}`,
        },
      },
    );
    const r = await curl([
      '-x',
      proxy.url,
      '-H',
      'X-Api-Key: proxy-managed',
      `http://localhost:${port}/`,
    ]);
    expect(r.status).toBe(200);
    expect(upstream.seen[0]!.headers['x-api-key']).toBe(`RIGHT-${SECRET}`);
  });

  it('never sends a credential in clear text to another machine', async () => {
    // 192.0.2.1 (TEST-NET-1) is never dialled: the refusal comes before any connection.
    proxy = await startProxy(
      { allowHosts: ['api.example.test'] },
      {
        credentials: {
          rules: [{ host: 'api.example.test', header: 'x-api-key', env: 'K' }],
          secret: () => SECRET,
        },
        resolver: async () => ['192.0.2.1'],
      },
    );
    const r = await curl(['-x', proxy.url, 'http://api.example.test/v1']);
    expect([r.status, r.body]).toEqual([
      403,
      'sbx proxy: requests to api.example.test carry a credential (K) that is only sent over TLS or to this machine; use https://\n',
    ]);
  });

  it('answers 502 naming the variable when the secret is missing, forwarding nothing', async () => {
    const { port } = await setup((p) => rule(p, undefined));
    const r = await curl([
      '-x',
      proxy!.url,
      '--cacert',
      proxy!.caFile,
      '-H',
      'authorization: Bearer proxy-managed',
      `https://localhost:${port}/echo`,
    ]);
    expect([r.status, r.body]).toEqual([
      502,
      `sbx proxy: requests to localhost carry a credential from the environment variable TEST_API_KEY, which is not set; set it where the proxy runs and retry\n`,
    ]);
    expect(upstream!.seen).toEqual([]);
  });

  it('refuses a secret that would split the header, without echoing it', async () => {
    const { port } = await setup((p) => rule(p, `${SECRET}\r\nX-Evil: 1`));
    const r = await curl([
      '-x',
      proxy!.url,
      '--cacert',
      proxy!.caFile,
      `https://localhost:${port}/`,
    ]);
    expect(r.status).toBe(502);
    expect(r.body.includes(SECRET)).toBe(false);
    expect(upstream!.seen).toEqual([]);
    await until(() => proxy!.events.length === 2);
    expect(JSON.stringify(proxy!.events).includes(SECRET)).toBe(false);
  });

  it('never injects into a bypass tunnel', async () => {
    const { port, upstreamCa } = await setup((p) => rule(p, SECRET), true);
    const { writeFile } = await import('node:fs/promises');
    const caFile = `${proxy!.caFile}.upstream`;
    await writeFile(caFile, upstreamCa.certPem);
    const r = await curl([
      '-x',
      proxy!.url,
      '--cacert',
      caFile,
      '-H',
      'authorization: Bearer proxy-managed',
      `https://localhost:${port}/`,
    ]);
    expect(r.status).toBe(200);
    expect(upstream!.seen[0]!.headers.authorization).toBe('Bearer proxy-managed');
  });

  it('takes new rules from setCredentials on the next request', async () => {
    const { port } = await setup(() => ({ rules: [] }));
    const args = ['-x', proxy!.url, '--cacert', proxy!.caFile, `https://localhost:${port}/`];
    await curl(args);
    proxy!.proxy.setCredentials(rule(port, SECRET, 'token {value}'));
    await curl(args);
    expect(upstream!.seen.map((s) => s.headers.authorization)).toEqual([
      undefined,
      `token ${SECRET}`,
    ]);
  });
});
