import { VmError } from '../errors.ts';
import type { ExecOptions, SandboxProcess } from '../types.ts';
import { execInSandbox } from './exec.ts';
import { readRecord } from './record.ts';
import { type RunState, readJoinableState } from './state.ts';

/**
 * Runs a command in a sandbox the namespace driver of another process (sandboxd) started,
 * straight from its directory. Throws SBX_VM_NOT_RUNNING unless the sandbox's init and its
 * owner are both alive; the namespaces joined are checked to be the init's (fd-based). The
 * owner itself passes `readLiveState`: it is alive, only its init needs checking.
 */
export async function execRunning(
  dir: string,
  options: ExecOptions,
  readState: (dir: string) => Promise<RunState | undefined> = readJoinableState,
): Promise<SandboxProcess> {
  const record = await readRecord(dir);
  const state = await readState(dir);
  if (!state) {
    throw new VmError(
      'SBX_VM_NOT_RUNNING',
      `sandbox ${record.name} is not running: start it first`,
    );
  }
  return execInSandbox(record, state, state, options);
}
