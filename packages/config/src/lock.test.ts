import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withFileLock } from './lock.ts';
import { processStartTime } from './process-alive.ts';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sbx-lock-'));
  file = join(dir, 'x.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const hasProcStartTimes = processStartTime(process.pid) !== undefined;
if (!hasProcStartTimes) {
  console.warn('skipping the recycled-pid lock test: /proc gives no process start times here');
}

function lockOf(pid: number, start?: string) {
  return JSON.stringify({ pid, host: hostname(), start, token: 'someone-else', since: 'then' });
}

/** A pid that certainly belonged to a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

describe('withFileLock', () => {
  it('runs same-process callers one at a time, so read-modify-write cycles all land', async () => {
    await writeFile(file, '0');
    await Promise.all(
      Array.from({ length: 50 }, () =>
        withFileLock(file, async () => {
          const n = Number(await readFile(file, 'utf8'));
          await sleep(1);
          await writeFile(file, String(n + 1));
        }),
      ),
    );
    expect(await readFile(file, 'utf8')).toBe('50');
    expect(await readdir(dir)).toEqual(['x.json']);
  });

  it('releases the lock when the function throws, and passes the error on', async () => {
    await expect(withFileLock(file, () => Promise.reject(new Error('boom')))).rejects.toThrow(
      'boom',
    );
    expect(await withFileLock(file, () => 'next')).toBe('next');
    expect(await readdir(dir)).toEqual([]);
  });

  it('takes over at once a lock left by a process that died (e.g. SIGKILL)', async () => {
    await writeFile(`${file}.lock`, lockOf(deadPid()));
    expect(await withFileLock(file, () => 'ran', { timeoutMs: 60_000 })).toBe('ran');
    expect(await readdir(dir)).toEqual([]);
  });

  it.skipIf(!hasProcStartTimes)(
    'takes over a lock whose pid now belongs to another process (pid reuse)',
    async () => {
      await writeFile(`${file}.lock`, lockOf(process.ppid, 'not-its-start-time'));
      expect(await withFileLock(file, () => 'ran', { timeoutMs: 60_000 })).toBe('ran');
    },
  );

  it('waits for a live holder, then fails with SBX_CONFIG_LOCKED naming it', async () => {
    const lock = `${file}.lock`;
    await writeFile(lock, lockOf(process.ppid, processStartTime(process.ppid)));
    const error = await withFileLock(file, () => 'ran', { timeoutMs: 30 }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'SBX_CONFIG_LOCKED',
      file: lock,
      message: `${lock} is held by process ${process.ppid} on ${hostname()} since then; wait for it to finish, or delete the lock file if that process is not sbx`,
    });
    expect(await readFile(lock, 'utf8')).toBe(lockOf(process.ppid, processStartTime(process.ppid)));
  });
});
