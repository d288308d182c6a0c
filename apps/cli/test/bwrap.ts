import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Whether real sandboxes can run here: bubblewrap and nsenter present. */
export const hasBwrap =
  spawnSync('bwrap', ['--version']).status === 0 &&
  spawnSync('nsenter', ['--version']).status === 0;
export const isRoot = process.getuid?.() === 0;

if (!hasBwrap)
  console.warn('sandbox tests skipped: bubblewrap (bwrap) or nsenter is not installed');

/** Every live descendant of `pid` (children, their children…), from /proc. */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = parents.get(ppid) ?? [];
      list.push(Number(entry));
      parents.set(ppid, list);
    } catch {}
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const child of parents.get(p) ?? []) {
      out.push(child);
      walk(child);
    }
  };
  walk(pid);
  return out;
}

/** Which of `pids` still exist (zombies included: they are gone once reaped). */
export function alive(pids: number[]): number[] {
  return pids.filter((pid) => {
    try {
      const state = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return !/\) Z /.test(state);
    } catch {
      return false;
    }
  });
}
