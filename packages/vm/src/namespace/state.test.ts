import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeState } from './persist.ts';
import { processStartTime } from './procfs.ts';
import { type RunState, readJoinableState, readLiveState } from './state.ts';

// Real processes stand in for a sandbox's init and its owner (sandboxd): what matters is
// that a state file naming a pid is believed only while that pid is the process it was.
describe('running state of a sandbox', () => {
  let dir: string;
  let init: ChildProcess;
  let owner: ChildProcess;
  let dead: number;
  const start = (pid: number) => processStartTime(pid)!;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sbx-state-'));
    init = spawn('sleep', ['60'], { stdio: 'ignore' });
    owner = spawn('sleep', ['60'], { stdio: 'ignore' });
    const gone = spawn('true', { stdio: 'ignore' });
    await new Promise((resolve) => gone.once('exit', resolve));
    dead = gone.pid!;
  });
  afterAll(() => {
    init.kill('SIGKILL');
    owner.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const state = (patch: Partial<RunState>): RunState => ({
    bwrapPid: init.pid!,
    bwrapStart: start(init.pid!),
    stagePid: init.pid!,
    stageStart: start(init.pid!),
    initPid: init.pid!,
    initStart: start(init.pid!),
    ownerPid: owner.pid!,
    ownerStart: start(owner.pid!),
    proxy: true,
    ca: true,
    startedAt: new Date().toISOString(),
    ...patch,
  });

  it.each<[string, () => Partial<RunState>, boolean, boolean]>([
    ['init and owner alive', () => ({}), true, true],
    ['init pid reused (other start time)', () => ({ initStart: -1 }), false, false],
    ['init gone', () => ({ initPid: dead }), false, false],
    ['owner pid reused (other start time)', () => ({ ownerStart: -1 }), true, false],
    ['owner gone (sandboxd killed)', () => ({ ownerPid: dead }), true, false],
    ['owner start time not recorded', () => ({ ownerStart: undefined }), true, false],
  ])('%s: live %s, joinable %s', async (_label, patch, live, joinable) => {
    const written = state(patch());
    await writeState(dir, written);
    const expected = JSON.parse(JSON.stringify(written));
    expect(await readLiveState(dir)).toEqual(live ? expected : undefined);
    expect(await readJoinableState(dir)).toEqual(joinable ? expected : undefined);
  });

  it('reads no state when there is no file', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'sbx-state-'));
    try {
      expect(await readJoinableState(empty)).toBeUndefined();
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
