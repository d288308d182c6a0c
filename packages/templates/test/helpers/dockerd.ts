import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'undici';

export const canRunDockerd =
  process.geteuid?.() === 0 &&
  spawnSync('dockerd', ['--version']).status === 0 &&
  spawnSync('docker', ['--version']).status === 0;

export interface Dockerd {
  host: string;
  docker(...args: string[]): string;
  stop(): Promise<void>;
}

/** Starts a private dockerd (vfs, no iptables, no bridge) with its own data root and socket. */
export async function startDockerd(): Promise<Dockerd> {
  // Short path: containerd's sockets live under exec-root and unix socket paths are limited.
  const dir = mkdtempSync('/tmp/sbxd-');
  const sock = join(dir, 'd.sock');
  const proc: ChildProcess = spawn(
    'dockerd',
    [
      '--storage-driver=vfs',
      '--iptables=false',
      '--ip6tables=false',
      '--bridge=none',
      `--data-root=${join(dir, 'data')}`,
      `--exec-root=${join(dir, 'x')}`,
      `--pidfile=${join(dir, 'pid')}`,
      `-H`,
      `unix://${sock}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  proc.stderr!.on('data', (c: Buffer) => {
    log = (log + c.toString()).slice(-4000);
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const host = `unix://${sock}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`dockerd exited: ${log}`);
    const client = new Client('http://docker', { socketPath: sock });
    const ok = await client
      .request({ path: '/_ping', method: 'GET' })
      .then(async (r) => (await r.body.text()) === 'OK')
      .catch(() => false)
      .finally(() => client.close());
    if (ok) break;
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`dockerd did not start: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    host,
    docker: (...args) =>
      execFileSync('docker', ['-H', host, ...args], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    async stop() {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
