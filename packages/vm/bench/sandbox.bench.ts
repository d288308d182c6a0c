/**
 * `pnpm bench`: exec of `true` in a running sandbox, and a new sandbox to its first command,
 * against raw `bwrap … true` over the same image, measured in the same run.
 * Targets (issue 6): exec under 100 ms and at most 10x bwrap; new sandbox under 500 ms.
 */
import { execFile } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createNamespaceDriver, type Driver } from '../src/index.ts';
import { busyboxRootfs } from '../test/fixtures.ts';

const run = promisify(execFile);
const ROUNDS = Number(process.env.SBX_BENCH_ROUNDS ?? 30);

async function median(rounds: number, fn: (i: number) => Promise<void>): Promise<number> {
  const times: number[] = [];
  await fn(-1); // warm-up
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    await fn(i);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

async function execTrue(driver: Driver, dir: string): Promise<void> {
  const proc = await driver.exec(dir, { cmd: ['true'] });
  const { exitCode } = await proc.exited;
  if (exitCode !== 0) throw new Error(`true exited ${exitCode}`);
}

const tmp = mkdtempSync(join(tmpdir(), 'sbx-vm-bench-'));
const driver = createNamespaceDriver();
try {
  const rootfs = busyboxRootfs(tmp);
  const ws = join(tmp, 'ws');
  mkdirSync(ws);
  const create = async (name: string) => {
    const info = await driver.create({
      name,
      dir: join(tmp, name),
      template: { type: 'image', rootfs },
      workspaces: [{ path: ws }],
    });
    if (process.getuid?.() === 0) chownSync(ws, info.hostUser.uid, info.hostUser.gid);
    return info.dir;
  };

  const bwrap = await median(ROUNDS, async () => {
    await run('bwrap', [
      '--unshare-all',
      '--ro-bind',
      rootfs,
      '/',
      '--proc',
      '/proc',
      '--dev',
      '/dev',
      '--',
      '/bin/true',
    ]);
  });

  const running = await create('bench-exec');
  await driver.start(running);
  const exec = await median(ROUNDS, () => execTrue(driver, running));
  await driver.remove(running);

  const made: string[] = [];
  const fresh = await median(Math.max(5, Math.floor(ROUNDS / 3)), async (i) => {
    const dir = await create(`bench-new-${i + 1}`);
    made.push(dir);
    await driver.start(dir);
    await execTrue(driver, dir);
  });
  for (const dir of made) await driver.remove(dir);

  const row = (what: string, ms: number, target: string) =>
    console.log(
      `${what.padEnd(34)} ${ms.toFixed(1).padStart(7)} ms  ${(ms / bwrap).toFixed(1).padStart(5)}x bwrap  ${target}`,
    );
  console.log(
    `@sbx/vm namespace driver, median of ${ROUNDS} rounds (${process.getuid?.() === 0 ? 'root' : 'user'})`,
  );
  row('raw bwrap … true (baseline)', bwrap, '');
  row(
    'exec true in a running sandbox',
    exec,
    `target < 100 ms and <= 10x: ${exec < 100 && exec <= 10 * bwrap ? 'met' : 'MISSED'}`,
  );
  row(
    'new sandbox to first command',
    fresh,
    `target < 500 ms: ${fresh < 500 ? 'met' : 'MISSED'} (create + start + exec)`,
  );
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
