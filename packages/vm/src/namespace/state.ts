import { readFile, rm } from 'node:fs/promises';
import { isSameProcess } from './procfs.ts';
import { paths, writeJson } from './record.ts';

/** What a running sandbox needs remembered, in `<dir>/run/state.json`. */
export interface RunState {
  /** Host pid of the outer bwrap (the child of the controlling process). */
  bwrapPid: number;
  bwrapStart: number | undefined;
  /** Host pid of the sandbox's pid 1. */
  stagePid: number;
  stageStart: number | undefined;
  /** Host pid and start time of the init every exec joins. */
  initPid: number;
  initStart: number;
  /** Pid of the process the sandbox lives and dies with. */
  ownerPid: number;
  proxy: boolean;
  ca: boolean;
  startedAt: string;
}

export function writeState(dir: string, state: RunState): Promise<void> {
  return writeJson(paths(dir).state, state);
}

/** The state of a sandbox that is really running (a stale file from a dead run reads as none). */
export async function readLiveState(dir: string): Promise<RunState | undefined> {
  let state: RunState;
  try {
    state = JSON.parse(await readFile(paths(dir).state, 'utf8')) as RunState;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(state.initPid) || !Number.isInteger(state.initStart)) return undefined;
  return isSameProcess(state.initPid, state.initStart) ? state : undefined;
}

export function clearState(dir: string): Promise<void> {
  return rm(paths(dir).state, { force: true });
}
