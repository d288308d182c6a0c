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

/** The mount points a process sees, or undefined when it cannot be read. */
export function mountPoints(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ')[4] ?? '');
  } catch {
    return undefined;
  }
}
