import { closeSync, openSync } from 'node:fs';
import { VmError } from '../errors.ts';
import { processStartTime } from './procfs.ts';

/** A running sandbox's init, named by host pid and start time (pids get reused). */
export interface InitRef {
  initPid: number;
  initStart: number;
}

const NAMESPACES = [
  ['user', '--user'],
  ['mnt', '--mount'],
  ['net', '--net'],
  ['pid', '--pid'],
  ['ipc', '--ipc'],
  ['uts', '--uts'],
  ['cgroup', '--cgroup'],
] as const;

export interface Handles {
  /** Open fds, to be placed at stdio positions `first`, `first + 1`, … of the child. */
  fds: number[];
  /** nsenter arguments naming those fds. */
  args: string[];
  close(): void;
}

/**
 * Opens the init's namespaces (and root and cwd) first and checks the init still is the
 * one that started at `initStart` afterwards: the handles can then only be the sandbox's,
 * even if its pid were reused meanwhile (`nsenter -t PID` could join a stranger's, the
 * host's when run as root).
 */
export function openHandles(
  init: InitRef,
  kinds: ReadonlyArray<(typeof NAMESPACES)[number][0] | 'root' | 'cwd'>,
  first = 3,
): Handles {
  const fds: number[] = [];
  const args: string[] = [];
  const close = () => {
    for (const fd of fds.splice(0)) closeSync(fd);
  };
  try {
    for (const kind of kinds) {
      const ns = NAMESPACES.find(([name]) => name === kind);
      const path = ns ? `/proc/${init.initPid}/ns/${kind}` : `/proc/${init.initPid}/${kind}`;
      fds.push(openSync(path, 'r'));
      const option = ns ? ns[1] : kind === 'root' ? '--root' : '--wd';
      args.push(`${option}=/proc/self/fd/${first + fds.length - 1}`);
    }
  } catch (cause) {
    close();
    throw notRunning(cause);
  }
  if (processStartTime(init.initPid) !== init.initStart) {
    close();
    throw notRunning();
  }
  return { fds, args, close };
}

/** Every namespace plus root and cwd: what an exec joins. */
export const ALL = ['user', 'mnt', 'net', 'pid', 'ipc', 'uts', 'cgroup', 'root', 'cwd'] as const;

function notRunning(cause?: unknown): VmError {
  return new VmError('SBX_VM_NOT_RUNNING', 'the sandbox stopped: start it again', { cause });
}
