import { readFileSync } from 'node:fs';
import { type Dispatcher, request } from 'undici';

/**
 * Requests of `closedLoop` that failed, per dispatcher: counted rather than thrown, so that a
 * peer dropping one kept-alive connection does not end the whole run; the bench prints them.
 */
export const failures = new Map<Dispatcher, { count: number; last: string }>();

function fail(dispatcher: Dispatcher, why: string): void {
  const failed = failures.get(dispatcher) ?? { count: 0, last: '' };
  failed.count++;
  failed.last = why;
  failures.set(dispatcher, failed);
}

/** `concurrency` loops issuing requests for `ms`; returns how many completed. */
export async function closedLoop(
  dispatcher: Dispatcher,
  url: string,
  concurrency: number,
  ms: number,
  headers: Record<string, string> = {},
): Promise<number> {
  let count = 0;
  const end = performance.now() + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        try {
          const res = await request(url, { dispatcher, headers });
          await res.body.dump();
          // An error answer is quick to make: it must not count as throughput.
          if (res.statusCode >= 400) fail(dispatcher, `status ${res.statusCode}`);
          else count++;
        } catch (error) {
          fail(dispatcher, (error as Error).message);
        }
      }
    }),
  );
  return count;
}

/** Downloads `url`, discarding the body; returns bytes per second. */
export async function download(dispatcher: Dispatcher, url: string): Promise<number> {
  const start = performance.now();
  const res = await request(url, { dispatcher });
  let bytes = 0;
  for await (const chunk of res.body) bytes += (chunk as Buffer).length;
  return bytes / ((performance.now() - start) / 1000);
}

/** Steal since boot, in ms (USER_HZ ticks of 10 ms), or undefined without /proc/stat. */
export function stolenMs(): number | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0]!.trim().split(/\s+/);
    return Number(cpu[8]) * 10;
  } catch {
    return undefined;
  }
}

/** What `eventDelays` notes of each event besides its delay. */
export interface EventTrack {
  /** The steal (ms) since the previous event arrived. */
  stolen: number[];
  /** When it arrived, ms since the epoch. */
  arrived: number[];
}

/**
 * Reads a server-sent event stream whose events carry the upstream's send time (ms on the
 * machine's monotonic clock); returns each event's delay from send to arrival here. `track`
 * gets each event's steal and arrival time (read after the arrival is timed, so it does not
 * delay the next one).
 */
export async function eventDelays(
  dispatcher: Dispatcher,
  url: string,
  track?: EventTrack,
): Promise<number[]> {
  const stolen = track?.stolen;
  let before = stolen ? stolenMs() : undefined;
  const res = await request(url, { dispatcher });
  const out: number[] = [];
  let buf = '';
  for await (const chunk of res.body) {
    const now = Number(process.hrtime.bigint()) / 1e6;
    let steal = 0;
    if (stolen && before !== undefined) {
      const after = stolenMs() ?? before;
      steal = after - before;
      before = after;
    }
    const arrived = track ? performance.timeOrigin + performance.now() : 0;
    buf += chunk.toString();
    let end = buf.indexOf('\n\n');
    while (end >= 0) {
      out.push(now - Number(buf.slice(6, end)));
      stolen?.push(steal);
      track?.arrived.push(arrived);
      buf = buf.slice(end + 2);
      end = buf.indexOf('\n\n');
    }
  }
  return out;
}

/** Streams events back to back from `url` (an event-stream endpoint) for `ms`. */
export async function streamFor(dispatcher: Dispatcher, url: string, ms: number): Promise<void> {
  const end = performance.now() + ms;
  do await eventDelays(dispatcher, `${url}?n=2000&gap=0`);
  while (performance.now() < end);
}

/** Time (ms) of one request made with `dispatcher` (the caller makes the connection new). */
export async function timed(dispatcher: Dispatcher, url: string, reset = false): Promise<number> {
  const start = performance.now();
  const res = await request(url, { dispatcher, reset });
  await res.body.dump();
  return performance.now() - start;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
