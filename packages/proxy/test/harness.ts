import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePolicy, type PolicyConfig } from '@sbx/policy';
import { onTestFinished } from 'vitest';
import {
  type CertificateAuthority,
  createCertificateAuthority,
  createProxy,
  type ProxyEvent,
  type ProxyOptions,
  type ProxyServer,
} from '../src/index.ts';

/**
 * Closes `resource` when the running test finishes, passed or failed: a test file needs no
 * afterEach for what it opens through this harness. Closing twice is harmless.
 */
export function closeWhenDone<T extends { close(): Promise<unknown> }>(resource: T): T {
  onTestFinished(async () => {
    await resource.close();
  });
  return resource;
}

export interface Running {
  proxy: ProxyServer;
  port: number;
  url: string;
  ca: CertificateAuthority;
  caFile: string;
  events: ProxyEvent[];
  close(): Promise<void>;
}

let sharedCa: Promise<CertificateAuthority> | undefined;

/** Starts a proxy on 127.0.0.1:0 with `config` compiled; the CA PEM is written for curl. */
export async function startProxy(
  config: PolicyConfig,
  options: Partial<ProxyOptions> = {},
): Promise<Running> {
  sharedCa ??= createCertificateAuthority({ sandbox: 'test' });
  const ca = options.ca ?? (await sharedCa);
  const events: ProxyEvent[] = [];
  const proxy = createProxy({
    policy: compilePolicy(config),
    ca,
    sandbox: 'test',
    onEvent: (e) => events.push(e),
    ...options,
  });
  const address = await proxy.listen(0, '127.0.0.1');
  const port = (address as { port: number }).port;
  const dir = await mkdtemp(join(tmpdir(), 'sbx-proxy-test-'));
  const caFile = join(dir, 'ca.pem');
  await writeFile(caFile, ca.certPem);
  return closeWhenDone({
    proxy,
    port,
    url: `http://127.0.0.1:${port}`,
    ca,
    caFile,
    events,
    async close() {
      await proxy.close();
      await rm(dir, { recursive: true, force: true });
    },
  });
}

export interface CurlResult {
  status: number;
  body: string;
  exit: number;
}

/** Runs curl and returns the HTTP status (0 when none), the body and curl's exit code. */
export function curl(args: string[]): Promise<CurlResult> {
  return new Promise((resolve) => {
    execFile(
      'curl',
      [
        '-sS',
        '--max-time',
        '30',
        ...(args.includes('-o') ? [] : ['-o', '-']),
        '-w',
        '\n%{http_code}',
        ...args,
      ],
      {
        maxBuffer: 64 << 20,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, LC_ALL: 'C.UTF-8' },
      },
      (error, stdout) => {
        const at = stdout.lastIndexOf('\n');
        resolve({
          status: Number(stdout.slice(at + 1)) || 0,
          body: stdout.slice(0, at),
          exit: error ? Number((error as { code?: number }).code ?? 1) : 0,
        });
      },
    );
  });
}

/** Waits until `predicate` holds (events arrive when connections close, a moment later). */
export async function until(predicate: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
