import type { ChildProcess } from 'node:child_process';
import { PerformanceObserver } from 'node:perf_hooks';

// Garbage-collection pauses, for telling a held event of (d) that a pause explains (in the
// measuring process or in the proxy) from one the proxy's own path caused.

/** A pause: [start, end], ms since the epoch. */
export type Pause = [number, number];

/** Starts keeping this process's GC pauses; returns them (all so far) when called. */
export function watchGc(): () => Pause[] {
  const pauses: Pause[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const start = performance.timeOrigin + entry.startTime;
      pauses.push([start, start + entry.duration]);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => pauses;
}

/** The GC pauses a child process (one that answers `'gc'`, as proxy.child.ts does) has had. */
export function childGc(child: ChildProcess): Promise<Pause[]> {
  return new Promise((resolve) => {
    const onMessage = (m: { gc?: Pause[] }) => {
      if (!m.gc) return;
      child.off('message', onMessage);
      resolve(m.gc);
    };
    child.on('message', onMessage);
    child.send('gc');
  });
}

/** Milliseconds of `pauses` within [from, to]. */
export function pausedIn(pauses: Pause[], from: number, to: number): number {
  let ms = 0;
  for (const [start, end] of pauses) ms += Math.max(0, Math.min(end, to) - Math.max(start, from));
  return ms;
}
