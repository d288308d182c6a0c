import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { removeDeadTemps, tempPath } from './atomic.ts';
import { ConfigError } from './errors.ts';
import { isProcessAlive, processStartTime } from './process-alive.ts';

export interface FileLockOptions {
  /** How long to wait for a live holder before failing with `SBX_CONFIG_LOCKED`; 10 s by default. */
  timeoutMs?: number;
}

interface LockOwner {
  pid: number;
  host: string;
  start?: string;
  token: string;
  since: string;
}

/** Same-process callers queue here, so the file lock only arbitrates between processes. */
const queues = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` while holding an exclusive lock on `path` (the lock file is `path + '.lock'`), across
 * threads and processes. A lock left by a dead process (even one killed with SIGKILL) is taken
 * over at once; a live holder is waited for up to `timeoutMs`.
 */
export function withFileLock<T>(
  path: string,
  fn: () => Promise<T> | T,
  options: FileLockOptions = {},
): Promise<T> {
  const lockPath = `${path}.lock`;
  const previous = queues.get(lockPath) ?? Promise.resolve();
  const run = previous.then(async () => {
    const owner = await acquire(lockPath, options.timeoutMs ?? 10_000);
    try {
      return await fn();
    } finally {
      await release(lockPath, owner);
    }
  });
  const tail = run.catch(() => {});
  queues.set(lockPath, tail);
  void tail.then(() => {
    if (queues.get(lockPath) === tail) queues.delete(lockPath);
  });
  return run;
}

async function acquire(lockPath: string, timeoutMs: number): Promise<LockOwner> {
  const owner: LockOwner = {
    pid: process.pid,
    host: hostname(),
    start: processStartTime(process.pid),
    token: randomBytes(8).toString('hex'),
    since: new Date().toISOString(),
  };
  await mkdir(dirname(lockPath), { recursive: true, mode: 0o700 });
  // The lock is published with link(2), so it appears complete or not at all.
  const temp = tempPath(lockPath);
  await writeFile(temp, `${JSON.stringify(owner)}\n`, { mode: 0o600 });
  const deadline = Date.now() + timeoutMs;
  let wait = 2;
  try {
    for (;;) {
      try {
        await link(temp, lockPath);
        await removeDeadTemps(dirname(lockPath), basename(lockPath));
        return owner;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(lockPath, error);
      }
      const holder = await readHolder(lockPath);
      if (holder === undefined) continue;
      if (holder.stale) {
        await breakStale(lockPath, holder.ino);
        continue;
      }
      if (Date.now() >= deadline) throw lockedError(lockPath, holder.owner);
      await sleep(wait + Math.random() * wait);
      wait = Math.min(wait * 2, 50);
    }
  } finally {
    await unlink(temp).catch(() => {});
  }
}

async function readHolder(
  lockPath: string,
): Promise<{ owner?: LockOwner; ino: number; stale: boolean } | undefined> {
  try {
    const info = await stat(lockPath);
    const text = await readFile(lockPath, 'utf8');
    let owner: LockOwner | undefined;
    try {
      owner = JSON.parse(text) as LockOwner;
    } catch {
      // Not written by us (link publishes whole files): stale once it is clearly old.
      return { ino: info.ino, stale: Date.now() - info.mtimeMs > 30_000 };
    }
    const stale = owner.host === hostname() && !isProcessAlive(owner.pid, owner.start);
    return { owner, ino: info.ino, stale };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError(lockPath, error);
  }
}

/**
 * Removes a dead holder's lock without ever removing a live one: the lock is first renamed
 * away, and if what was moved is not the stale file (another process replaced it meanwhile),
 * it is linked back.
 */
async function breakStale(lockPath: string, staleIno: number): Promise<void> {
  const grave = tempPath(lockPath);
  try {
    await rename(lockPath, grave);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw ioError(lockPath, error);
  }
  try {
    if ((await stat(grave)).ino !== staleIno) await link(grave, lockPath).catch(() => {});
  } finally {
    await unlink(grave).catch(() => {});
  }
}

async function release(lockPath: string, owner: LockOwner): Promise<void> {
  try {
    const holder = JSON.parse(await readFile(lockPath, 'utf8')) as LockOwner;
    if (holder.token === owner.token) await unlink(lockPath);
  } catch {
    // Already gone: nothing to release.
  }
}

function lockedError(lockPath: string, owner: LockOwner | undefined): ConfigError {
  const who = owner
    ? `process ${owner.pid} on ${owner.host} since ${owner.since}`
    : 'an unknown process';
  return new ConfigError(
    'SBX_CONFIG_LOCKED',
    `${lockPath} is held by ${who}; wait for it to finish, or delete the lock file if that process is not sbx`,
    { file: lockPath },
  );
}

function ioError(lockPath: string, error: unknown): ConfigError {
  return new ConfigError(
    'SBX_CONFIG_IO',
    `cannot lock ${lockPath}: ${(error as Error).message}; check the directory's permissions`,
    { file: lockPath, cause: error },
  );
}
