import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WRITER = fileURLToPath(new URL('./fixtures/writer.mjs', import.meta.url));

/** A temp directory holding SANDBOXD_HOME and DOCKER_CONFIG for one test; removed by dispose. */
export async function tempHome(): Promise<{ dir: string } & AsyncDisposable> {
  const dir = await mkdtemp(join(tmpdir(), 'sbx-config-'));
  const saved = {
    SANDBOXD_HOME: process.env.SANDBOXD_HOME,
    DOCKER_CONFIG: process.env.DOCKER_CONFIG,
  };
  process.env.SANDBOXD_HOME = join(dir, 'sandboxd');
  process.env.DOCKER_CONFIG = join(dir, 'docker');
  return {
    dir,
    async [Symbol.asyncDispose]() {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves with the exit code (or signal) of a child process. */
export function exited(child: ChildProcess): Promise<number | NodeJS.Signals | null> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve(child.exitCode ?? child.signalCode);
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
}

/** Runs the writer fixture in another node process. */
export function writer(args: string[]): ChildProcess {
  return spawn(process.execPath, [WRITER, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
}

/** Polls `check` until it returns true; the test's own timeout bounds the wait. */
export async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 10));
}
