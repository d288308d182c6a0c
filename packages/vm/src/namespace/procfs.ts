import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';

/** The kernel's start time of a process (clock ticks since boot), or undefined if it is gone. */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}

/** True when `pid` is still the process that started at `startTime` (pids get reused). */
export function isSameProcess(pid: number, startTime: number): boolean {
  return processStartTime(pid) === startTime;
}

/** Direct children of a single-threaded process. */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(' ')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** The mounts a process sees as [mount point, filesystem type], or undefined if unreadable. */
export function mounts(pid: number): Array<[point: string, fstype: string]> | undefined {
  try {
    return readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const fields = line.split(' ');
        const dash = fields.indexOf('-');
        return [fields[4] ?? '', fields[dash + 1] ?? ''];
      });
  } catch {
    return undefined;
  }
}

const O_CLOEXEC = 0o2000000;

/**
 * Fds of this process a child would inherit without asking: ones it was started with and
 * that are not close-on-exec (Node opens everything close-on-exec).
 */
export function inheritableFds(): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc/self/fd');
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const entry of entries) {
    const fd = Number(entry);
    if (fd < 3) continue;
    try {
      const flags = /flags:\s*(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      if (flags && (Number.parseInt(flags[1]!, 8) & O_CLOEXEC) === 0) found.push(fd);
    } catch {}
  }
  return found;
}

type StdioEntry = 'ignore' | 'pipe' | 'inherit' | 'ipc' | number;

/**
 * Points every inheritable fd the child would otherwise get at /dev/null: nothing the
 * controlling process was started with (a pipe, a log file, a socket) reaches a sandbox.
 * Call `done()` once the child is spawned.
 */
export function sealStdio(stdio: StdioEntry[]): { stdio: StdioEntry[]; done: () => void } {
  const leaks = inheritableFds().filter((fd) => stdio[fd] === undefined || stdio[fd] === 'ignore');
  if (leaks.length === 0) return { stdio, done: () => {} };
  const devNull = openSync('/dev/null', 'r');
  const sealed = [...stdio];
  for (const fd of leaks) sealed[fd] = devNull;
  // Node stops at a hole in the array: fill every index up to the highest.
  for (let i = 0; i < sealed.length; i++) sealed[i] ??= 'ignore';
  return { stdio: sealed, done: () => closeSync(devNull) };
}
