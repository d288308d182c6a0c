import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { request } from 'undici';

export const hasRegistry = spawnSync('docker-registry', ['--version']).status === 0;
export const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

export interface Registry {
  host: string;
  stop(): Promise<void>;
}

/** Starts Debian's docker-registry on 127.0.0.1 (port chosen by the kernel) with its own storage. */
export async function startRegistry(
  dir: string,
  auth?: { realm: string; service: string; issuer: string; certPath: string },
): Promise<Registry> {
  const config = [
    'version: 0.1',
    'log:',
    '  level: info',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'registry-data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    '  addr: 127.0.0.1:0',
    '  secret: sbx-test-secret',
    ...(auth
      ? [
          'auth:',
          '  token:',
          `    realm: ${auth.realm}`,
          `    service: ${auth.service}`,
          `    issuer: ${auth.issuer}`,
          `    rootcertbundle: ${auth.certPath}`,
        ]
      : []),
  ].join('\n');
  writeFileSync(join(dir, 'registry.yml'), `${config}\n`);
  const proc: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'registry.yml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const host = await new Promise<string>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(
      () => reject(new Error(`docker-registry did not start: ${log}`)),
      20_000,
    );
    proc.stderr!.on('data', (c: Buffer) => {
      log += c.toString();
      const m = /listening on (127\.0\.0\.1:\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.once('exit', () => reject(new Error(`docker-registry exited: ${log}`)));
  });
  proc.stderr!.resume();
  return {
    host,
    async stop() {
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  certPath: string;
  /** Scopes and users the server was asked for. */
  requests: { user: string | undefined; scope: string | null }[];
  stop(): Promise<void>;
}

/** A small bearer-token service: ES256 JWTs with an x5c chain the registry trusts; one user. */
export async function startTokenServer(
  dir: string,
  user: { username: string; password: string },
): Promise<TokenServer> {
  const keyPath = join(dir, 'token.key');
  const certPath = join(dir, 'token.crt');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '2',
      '-subj',
      '/CN=sbx-test-token',
    ],
    { stdio: 'ignore' },
  );
  const key = createPrivateKey(readFileSync(keyPath));
  const certDer = new X509Certificate(readFileSync(certPath)).raw.toString('base64');
  const service = 'sbx-test-registry';
  const issuer = 'sbx-test-issuer';
  const requests: TokenServer['requests'] = [];
  const b64 = (o: object | Buffer) =>
    Buffer.from(Buffer.isBuffer(o) ? o : JSON.stringify(o)).toString('base64url');
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const auth = req.headers.authorization;
    const decoded = auth?.startsWith('Basic ')
      ? Buffer.from(auth.slice(6), 'base64').toString()
      : undefined;
    const name = decoded?.split(':')[0];
    requests.push({ user: name, scope: url.searchParams.get('scope') });
    if (decoded !== `${user.username}:${user.password}`) {
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end('{"details":"bad credentials"}');
      return;
    }
    const [, repo, actions] =
      /^repository:([^:]+):(.*)$/.exec(url.searchParams.get('scope') ?? '') ?? [];
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: issuer,
      sub: user.username,
      aud: service,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access: repo ? [{ type: 'repository', name: repo, actions: actions!.split(',') }] : [],
    };
    const input = `${b64({ typ: 'JWT', alg: 'ES256', x5c: [certDer] })}.${b64(claims)}`;
    const sig = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ token: `${input}.${b64(sig)}` }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certPath,
    requests,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export type FrontAction =
  | 'pass'
  | 'cut'
  | 'tamper'
  | 'notfound'
  | { redirect: string }
  | { status: number; headers: Record<string, string> };

/** An HTTP front for a registry that can cut, corrupt or hide responses: failures on demand. */
export async function startFront(
  upstream: string,
  decide: (method: string, url: string, range: string | undefined) => FrontAction,
) {
  const seen: { method: string; url: string; range: string | undefined }[] = [];
  const server = createServer(async (req, res) => {
    const range = req.headers.range;
    seen.push({ method: req.method!, url: req.url!, range });
    const action = decide(req.method!, req.url!, range);
    if (typeof action === 'object') {
      if ('redirect' in action) res.writeHead(307, { location: action.redirect }).end();
      else res.writeHead(action.status, action.headers).end();
      return;
    }
    if (action === 'notfound') {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}');
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && k !== 'host') headers[k] = v;
    const up = await request(`http://${upstream}${req.url}`, {
      method: req.method as 'GET',
      headers,
    });
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(up.headers))
      if (typeof v === 'string' && k !== 'transfer-encoding' && k !== 'connection') out[k] = v;
    const body = Buffer.from(await up.body.arrayBuffer());
    res.writeHead(up.statusCode, out);
    if (action === 'cut') {
      res.write(body.subarray(0, Math.floor(body.length / 2)));
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    if (action === 'tamper') body[body.length - 1]! ^= 0xff;
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
