import type { Dispatcher } from 'undici';
import { type Pause, pausedIn } from './gc.ts';
import { type EventTrack, eventDelays, median, streamFor } from './load.ts';

// Scenario (d) of the proxy bench: server-sent events, 50 events 20 ms apart from the upstream
// process, stamped there with the machine's monotonic clock. (The server used to run in the
// measuring process, which spared the direct baseline the wake-up of a second process that
// any real client pays.)

/** A stream: the dispatcher it goes through and its URL. */
export type Stream = [Dispatcher, string];

/** One row of (d): a stream through a proxy, compared with the same stream direct. */
export interface StreamRow {
  label: string;
  /** Names the row in the line on the longest holds. */
  name: string;
  target: string;
  via: Stream;
  direct: Stream;
  /** A peer proxy's stream, for the peer column (tinyproxy's CONNECT for the relay row). */
  peer?: Stream;
}

/**
 * Measures each row's event delays, `rounds` streams each, interleaved with its direct
 * baseline. Every stream is first warmed like the request paths: events back to back for
 * `warmMs`, right before it is measured. 2,000 events (0.2 s) left most of the proxy's code
 * for it unoptimised by V8, and a stream spaced 20 ms apart never makes it hot: (d) then
 * measured V8's first tiers, not a proxy that has streamed before. Returns the table rows and
 * a line giving each row's longest delay with the steal in that event's interval and the GC
 * pauses while it was on its way, here and in sbx (`proxyGc`), so that a hold the host or a
 * collector caused can be told from one the proxy's path caused.
 */
export async function eventStreams(
  table: StreamRow[],
  rounds: number,
  warmMs: number,
  gc: { here: () => Pause[]; proxy: () => Promise<Pause[]> },
): Promise<{ rows: string[][]; holds: string }> {
  const warmed = new Map<Dispatcher, Set<string>>();
  for (const row of table) {
    for (const [dispatcher, url] of [row.via, row.direct, ...(row.peer ? [row.peer] : [])]) {
      const urls = warmed.get(dispatcher) ?? new Set<string>();
      warmed.set(dispatcher, urls);
      if (urls.has(url)) continue;
      urls.add(url);
      await streamFor(dispatcher, url, warmMs);
    }
  }
  const delays = table.map(() => ({
    d: [] as number[],
    s: [] as number[],
    t: [] as number[],
    // Per event of `s`: the steal since the event before, and when it arrived.
    track: { stolen: [], arrived: [] } as EventTrack,
  }));
  for (let round = 0; round < rounds; round++) {
    for (const [i, row] of table.entries()) {
      const into = delays[i]!;
      into.d.push(...(await eventDelays(...row.direct)));
      into.s.push(...(await eventDelays(...row.via, into.track)));
      if (row.peer) into.t.push(...(await eventDelays(...row.peer)));
    }
  }
  const p50 = (v: number[]) => `${median(v).toFixed(3)} ms (${Math.max(...v).toFixed(1)})`;
  const added = (v: number[], base: number[]) => {
    const ms = median(v) - median(base);
    return `${ms < 0 ? '-' : '+'}${Math.abs(ms).toFixed(3)} ms`;
  };
  const rows: string[][] = [];
  const longest: string[] = [];
  const here = gc.here();
  const proxy = await gc.proxy();
  for (const [i, { label, name, target }] of table.entries()) {
    const { d, s, t, track } = delays[i]!;
    rows.push([label, p50(d), p50(s), added(s, d), '', t.length ? added(t, d) : '', target, '']);
    const at = s.indexOf(Math.max(...s));
    // While the event was on its way: from its send to its arrival.
    const arrived = track.arrived[at]!;
    const sent = arrived - s[at]!;
    const paused = (pauses: Pause[]) => pausedIn(pauses, sent, arrived).toFixed(1);
    longest.push(
      `${name} ${s[at]!.toFixed(1)} ms (steal ${track.stolen[at]} ms, GC ${paused(here)} ms here and ${paused(proxy)} ms in sbx)`,
    );
  }
  const holds = `(d) the longest delay per path, with the steal (10 ms ticks) between that event and the one before and the garbage collectors' pauses while it was on its way: ${longest.join(', ')}.`;
  return { rows, holds };
}
