import { chmod, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { createApi } from './api.ts';
import { SandboxdError } from './errors.ts';
import { SandboxManager } from './manager.ts';
import { type DaemonPaths, daemonPaths } from './paths.ts';
import { isSandboxdProcess } from './process.ts';
import type { SandboxRuntime } from './runtime.ts';

/** How often the daemon checks that its socket is still there (and still its own). */
const SOCKET_CHECK_MS = 2000;

export interface DaemonOptions {
  runtime: SandboxRuntime;
  paths?: DaemonPaths;
  log?: (message: string) => void;
  /** Called when a client asks the daemon to stop (`sbx daemon stop`). */
  onShutdownRequest?: () => void;
}

export interface Daemon {
  readonly paths: DaemonPaths;
  readonly manager: SandboxManager;
  /** Stops every sandbox, closes the API and removes the socket and pid file. */
  close(): Promise<void>;
}

/**
 * Starts sandboxd in this process: claims `sandboxd.pid`, refuses to start when another live
 * daemon owns the socket, clears a stale one, marks sandboxes left running as stopped and
 * serves the API on `sandboxd.sock` (0600, in a 0700 directory).
 */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const paths = options.paths ?? daemonPaths();
  const log = options.log ?? ((message: string) => process.stderr.write(`${stamp()} ${message}\n`));
  await mkdir(paths.home, { recursive: true, mode: 0o700 });
  await chmod(paths.home, 0o700);
  await claimPidFile(paths.pidFile);
  let server: Server | undefined;
  try {
    if (await socketAnswers(paths.socket)) {
      throw new SandboxdError(
        'SBX_SANDBOXD_ALREADY_RUNNING',
        `another sandboxd is serving ${paths.socket}: stop it with 'sbx daemon stop'`,
      );
    }
    await unlink(paths.socket).catch(() => {});
    const manager = new SandboxManager(paths, options.runtime, log);
    await manager.recover();
    let closing: Promise<void> | undefined;
    let socketId = '';
    let watch: NodeJS.Timeout | undefined;
    const close = () => {
      closing ??= (async () => {
        clearInterval(watch);
        server?.close();
        server?.closeAllConnections();
        await manager.stopAll();
        // Never the socket of a daemon that has taken the path over since.
        if ((await fileId(paths.socket)) === socketId) await unlink(paths.socket).catch(() => {});
        await releasePidFile(paths.pidFile);
        log('sandboxd stopped');
      })();
      return closing;
    };
    const api = createApi(manager, () => (options.onShutdownRequest ?? close)());
    server = createServer((req, res) => {
      api.handle(req, res).catch((error) => log(`api: ${(error as Error).stack}`));
    });
    await listen(server, paths.socket);
    socketId = await fileId(paths.socket);
    // A daemon whose socket was deleted (its home removed, say) can never be reached again:
    // it stops its sandboxes and exits rather than keep them running unseen.
    watch = setInterval(() => {
      void fileId(paths.socket).then((id) => {
        if (id === socketId || closing) return;
        log(`${paths.socket} was removed or replaced: stopping, no client can reach this daemon`);
        void (options.onShutdownRequest ?? close)();
      });
    }, SOCKET_CHECK_MS);
    watch.unref();
    log(`sandboxd ${process.pid} listening on ${paths.socket}`);
    return { paths, manager, close };
  } catch (error) {
    server?.close();
    await releasePidFile(paths.pidFile);
    throw error;
  }
}

/** The device and inode of a file, or '' when it is gone. */
async function fileId(file: string): Promise<string> {
  try {
    const s = await stat(file);
    return `${s.dev}:${s.ino}`;
  } catch {
    return '';
  }
}

function stamp(): string {
  return new Date().toISOString();
}

async function listen(server: Server, socket: string): Promise<void> {
  const umask = process.umask(0o077);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socket, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(umask);
  }
  await chmod(socket, 0o600);
}

/** True when something accepts connections on the unix socket (a live daemon). */
export function socketAnswers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const conn = connect(socket);
    conn.once('connect', () => {
      conn.destroy();
      resolve(true);
    });
    conn.once('error', () => resolve(false));
  });
}

async function claimPidFile(file: string): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const pid = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
    if (pid > 0 && pid !== process.pid && (await isSandboxdProcess(pid))) {
      throw new SandboxdError(
        'SBX_SANDBOXD_ALREADY_RUNNING',
        `sandboxd is already running (pid ${pid}): stop it with 'sbx daemon stop'`,
      );
    }
    await unlink(file).catch(() => {});
  }
  throw new SandboxdError(
    'SBX_SANDBOXD_ALREADY_RUNNING',
    `could not claim ${file}: another sandboxd is starting`,
  );
}

async function releasePidFile(file: string): Promise<void> {
  const pid = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
  if (pid === process.pid) await unlink(file).catch(() => {});
}
