import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SBX_BIN } from './run-sbx.ts';

let dir: string | undefined;
let child: ChildProcess | undefined;
let upstream: Server | undefined;
afterEach(async () => {
  child?.kill('SIGKILL');
  upstream?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = child = upstream = undefined;
});

function curl(args: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '--max-time', '10', '-w', '\n%{http_code}', ...args], (_e, out) => {
      const at = out.lastIndexOf('\n');
      resolve({ status: Number(out.slice(at + 1)) || 0, body: out.slice(0, at) });
    });
  });
}

/** Starts `sbx proxy …` and resolves with the JSON line it prints once ready. */
function start(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ listen: string; ca: string }> {
  const proc = spawn(process.execPath, [SBX_BIN, 'proxy', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stderr!.on('data', (c) => {
      err += c;
    });
    proc.stdout!.on('data', (c) => {
      out += c;
      if (out.includes('\n')) resolve(JSON.parse(out.slice(0, out.indexOf('\n'))));
    });
    proc.on('exit', (code) => reject(new Error(`sbx proxy exited with ${code}: ${err}`)));
  });
}

describe('sbx proxy', () => {
  it('serves a config file, logs JSONL, reloads on change, and exits on SIGTERM', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sbx-proxy-cli-'));
    upstream = createServer((req, res) => res.end(`key=${req.headers['x-api-key']}`));
    await new Promise<void>((r) => upstream!.listen(0, '127.0.0.1', r));
    const port = (upstream.address() as AddressInfo).port;
    const configPath = join(dir, 'proxy-config.json');
    const config = {
      version: 1,
      policy: 'deny',
      allowHosts: [`localhost:${port}`],
      credentials: [
        { host: 'localhost', header: 'x-api-key', format: '{value}', env: 'SBX_TEST_KEY' },
      ],
    };
    await writeFile(configPath, JSON.stringify(config));
    const logPath = join(dir, 'log.jsonl');
    const ready = await start(['--config', configPath, '--log', logPath, '--sandbox', 'cli-test'], {
      SBX_TEST_KEY: 'secret-from-env',
    });
    expect(ready.ca).toBe(join(dir, 'proxy_cacerts', 'proxy-ca.crt'));
    expect((await stat(join(dir, 'proxy_cacerts', 'proxy-ca.key'))).mode & 0o777).toBe(0o600);
    expect(ready.listen).toMatch(/^127\.0\.0\.1:\d+$/);
    const proxyUrl = `http://${ready.listen}`;
    const target = `http://localhost:${port}/`;
    expect(await curl(['-x', proxyUrl, '-H', 'x-api-key: proxy-managed', target])).toEqual({
      status: 200,
      body: 'key=secret-from-env',
    });

    await writeFile(configPath, JSON.stringify({ ...config, allowHosts: [] }));
    let status = 200;
    for (let i = 0; i < 100 && status === 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await curl(['-x', proxyUrl, target])).status;
    }
    expect(status).toBe(403);

    const exited = new Promise<number | null>((r) => child!.once('exit', r));
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
    const events = (await readFile(logPath, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events[0]).toMatchObject({
      sandbox: 'cli-test',
      type: 'request',
      url: `http://localhost:${port}/`,
      action: 'allowed',
      status: 200,
    });
    expect(events.at(-1)).toMatchObject({ action: 'denied', status: 403 });
    expect(JSON.stringify(events).includes('secret-from-env')).toBe(false);
  }, 30_000);

  it('fails with one line when the config file does not exist', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sbx-proxy-cli-'));
    await expect(start(['--config', join(dir, 'missing.json')])).rejects.toThrow(
      /exited with 1: sbx: .*missing\.json does not exist\n$/,
    );
  });
});
