import { readFileSync } from 'node:fs';

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
