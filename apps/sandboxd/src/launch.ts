import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, open, readFile, rename, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { SandboxdClient } from './client.ts';
import { SandboxdError } from './errors.ts';
import { type DaemonPaths, daemonPaths } from './paths.ts';
import { isSandboxdProcess } from './process.ts';

/** The daemon's entry point next to this module (dist/), or the built one when run from src/. */
export function daemonEntry(): string {
  const sibling = fileURLToPath(new URL('./bin.js', import.meta.url));
  if (existsSync(sibling)) return sibling;
  return fileURLToPath(new URL('../dist/bin.js', import.meta.url));
}

const LOG_LIMIT = 10 * 1024 * 1024;

const PASSED_ENV =
  /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LC_\w+|TZ|TMPDIR|SANDBOXD_HOME|DOCKER_CONFIG|DOCKER_HOST|XDG_\w+|SBX_\w+|CI|NODE_OPTIONS)$/;

/**
 * The environment the daemon starts with: a short allowlist, so no API key of the shell that
 * happened to start it sits in the daemon's environment (keys travel per `run`/`start`).
 */
export function daemonEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) if (PASSED_ENV.test(key)) out[key] = value;
  return out;
}

export interface DaemonStatus {
  running: boolean;
  pid?: number;
  version?: string;
  socket: string;
  log: string;
}

/** Whether a daemon answers on the socket, and which. */
export async function daemonStatus(paths: DaemonPaths = daemonPaths()): Promise<DaemonStatus> {
  const client = new SandboxdClient(paths.socket);
  try {
    const { pid, version } = await client.ping();
    return { running: true, pid, version, socket: paths.socket, log: paths.log };
  } catch (error) {
    if ((error as SandboxdError).code !== 'SBX_SANDBOXD_UNAVAILABLE') throw error;
    return { running: false, socket: paths.socket, log: paths.log };
  } finally {
    await client.close();
  }
}

/**
 * Starts sandboxd detached (it outlives this process), logging to `sandboxd.log`, and waits
 * until it answers. A daemon already running is fine; so is losing a race to start one.
 */
export async function startDaemonProcess(
  paths: DaemonPaths = daemonPaths(),
  options: { timeoutMs?: number } = {},
): Promise<{ pid: number; started: boolean }> {
  const before = await daemonStatus(paths);
  if (before.running) return { pid: before.pid!, started: false };
  await mkdir(paths.home, { recursive: true, mode: 0o700 });
  await chmod(paths.home, 0o700);
  // The daemon log is kept to two files: at start, one past LOG_LIMIT moves to sandboxd.log.1.
  const size = await stat(paths.log).then(
    (info) => info.size,
    () => 0,
  );
  if (size > LOG_LIMIT) await rename(paths.log, `${paths.log}.1`);
  const log = await open(paths.log, 'a', 0o600);
  let exited: number | null | undefined;
  try {
    const child = spawn(process.execPath, [daemonEntry()], {
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
      env: daemonEnv({
        ...process.env,
        SANDBOXD_HOME: paths.home,
        DOCKER_CONFIG: paths.dockerConfig,
      }),
      cwd: '/',
    });
    child.on('exit', (code) => {
      exited = code;
    });
    child.unref();
  } finally {
    await log.close();
  }
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    const status = await daemonStatus(paths);
    if (status.running) return { pid: status.pid!, started: true };
    if ((exited !== undefined && Date.now() > deadline - 13_000) || Date.now() > deadline) {
      const tail = (await readFile(paths.log, 'utf8').catch(() => '')).trim().split('\n').slice(-3);
      throw new SandboxdError(
        'SBX_SANDBOXD_UNAVAILABLE',
        `sandboxd did not start: ${tail.join(' / ') || 'no output'} (log: ${paths.log})`,
      );
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Asks the daemon to stop its sandboxes and exit, and waits until it is gone. */
export async function stopDaemon(
  paths: DaemonPaths = daemonPaths(),
  options: { timeoutMs?: number } = {},
): Promise<{ stopped: boolean; pid?: number }> {
  const status = await daemonStatus(paths);
  if (!status.running) return { stopped: false };
  const client = new SandboxdClient(paths.socket);
  try {
    await client.shutdown();
  } finally {
    await client.close();
  }
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (await isSandboxdProcess(status.pid!)) {
    if (Date.now() > deadline) {
      throw new SandboxdError(
        'SBX_SANDBOXD_INTERNAL',
        `sandboxd (pid ${status.pid}) did not stop within ${options.timeoutMs ?? 30_000} ms: see ${paths.log}`,
      );
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { stopped: true, pid: status.pid! };
}

/**
 * A client of the daemon that starts it on demand: the first request that finds nothing
 * listening starts sandboxd and is sent again, so a running daemon costs no extra round trip.
 */
export async function connectDaemon(paths: DaemonPaths = daemonPaths()): Promise<SandboxdClient> {
  return new SandboxdClient(paths.socket, { startDaemon: () => startDaemonProcess(paths) });
}
