import { readFileSync } from 'node:fs';
import { isSameProcess } from './procfs.ts';
import { paths } from './record.ts';

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
  /** Pid of the process the sandbox lives and dies with, and its start time. */
  ownerPid: number;
  ownerStart?: number | undefined;
  proxy: boolean;
  ca: boolean;
  startedAt: string;
}

/** The state of a sandbox that is really running (a stale file from a dead run reads as none). */
export async function readLiveState(dir: string): Promise<RunState | undefined> {
  let state: RunState;
  try {
    state = JSON.parse(readFileSync(paths(dir).state, 'utf8')) as RunState;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(state.initPid) || !Number.isInteger(state.initStart)) return undefined;
  return isSameProcess(state.initPid, state.initStart) ? state : undefined;
}

/**
 * The state of a running sandbox that another process may join: its init and the process
 * that owns it (sandboxd) are both still the ones that started it. An owner that died (or a
 * state file from before owners were recorded) leaves the sandbox to its owner's successor.
 */
export async function readJoinableState(dir: string): Promise<RunState | undefined> {
  const state = await readLiveState(dir);
  if (!state || !Number.isInteger(state.ownerPid) || !Number.isInteger(state.ownerStart))
    return undefined;
  return isSameProcess(state.ownerPid, state.ownerStart!) ? state : undefined;
}
