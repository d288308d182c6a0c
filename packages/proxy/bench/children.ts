import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';

/**
 * The proxy under test is the built package, what users run (tsx's transform of src/ adds a
 * `__name` property definition to every closure made per request): rebuilt when src/ is newer.
 */
export async function ensureBuilt(): Promise<void> {
  const root = new URL('..', import.meta.url).pathname;
  const built = await stat(join(root, 'dist/index.js')).catch(() => undefined);
  const sources = await readdir(join(root, 'src'), { recursive: true });
  let newest = 0;
  for (const file of sources) {
    newest = Math.max(newest, (await stat(join(root, 'src', file))).mtimeMs);
  }
  if (built && built.mtimeMs >= newest) return;
  console.log('building @sbx/proxy (src/ is newer than dist/)');
  execFileSync('pnpm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
}

/** Forks a .ts child through tsx and waits for its first IPC message (its ports). */
export function forkChild<T>(
  file: string,
  arg: unknown,
  execArgv: string[] = [],
): Promise<{ child: ChildProcess; info: T }> {
  const child = fork(new URL(file, import.meta.url).pathname, [JSON.stringify(arg)], {
    execArgv: ['--import', 'tsx', ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (info) => resolve({ child, info: info as T }));
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
}

/** Total CPU time (user + system, µs) the child has used so far. */
export function childCpu(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (m: { cpu?: NodeJS.CpuUsage }) => {
      if (!m.cpu) return;
      child.off('message', onMessage);
      resolve(m.cpu.user + m.cpu.system);
    };
    child.on('message', onMessage);
    child.send('cpu');
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Starts Debian's mitmdump streaming bodies (plus `args`); returns its port, CA and process (or
 * null if absent).
 */
export async function startMitmdump(
  confdir: string,
  args: string[] = [],
): Promise<{ port: number; ca: string; child: ChildProcess } | null> {
  const port = await freePort();
  const child = spawn(
    'mitmdump',
    [
      '-q',
      '--listen-host',
      '127.0.0.1',
      '--listen-port',
      String(port),
      '--set',
      `confdir=${confdir}`,
      '--set',
      'stream_large_bodies=1',
      '--set',
      'ssl_insecure=true',
      ...args,
    ],
    { stdio: 'ignore' },
  );
  const failed = new Promise<null>((resolve) => child.once('error', () => resolve(null)));
  const ready = (async () => {
    const caFile = join(confdir, 'mitmproxy-ca-cert.pem');
    for (let i = 0; i < 200; i++) {
      if (existsSync(caFile) && (await accepts(port))) {
        return { port, ca: await readFile(caFile, 'utf8'), child };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill();
    return null;
  })();
  return Promise.race([ready, failed]);
}

/**
 * Starts Debian's tinyproxy on a free loopback port, every CONNECT port allowed (its config
 * in `dir`); returns its port and process, or null if it is absent or does not come up.
 */
export async function startTinyproxy(
  dir: string,
): Promise<{ port: number; child: ChildProcess } | null> {
  const port = await freePort();
  const conf = join(dir, 'tinyproxy.conf');
  // No ConnectPort line: tinyproxy then tunnels to any port, as the bench's upstream needs.
  await writeFile(
    conf,
    `Port ${port}\nListen 127.0.0.1\nTimeout 600\nMaxClients 200\nAllow 127.0.0.1\nLogLevel Critical\n`,
  );
  const child = spawn('tinyproxy', ['-d', '-c', conf], { stdio: 'ignore' });
  const failed = new Promise<null>((resolve) => child.once('error', () => resolve(null)));
  const ready = (async () => {
    for (let i = 0; i < 100; i++) {
      if (await accepts(port)) return { port, child };
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill();
    return null;
  })();
  return Promise.race([ready, failed]);
}
