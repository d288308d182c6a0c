import type { Dispatcher } from 'undici';
import { failures, median, stolenMs } from './load.ts';

// How the proxy bench reports: ratios of paired rounds, the table, and what the hypervisor took.

/** The median of the per-round ratios, with their range: rounds are paired, so load drift cancels. */
export function ratio(values: number[], baseline: number[]): string {
  const r = values.map((v, i) => v / baseline[i]!);
  return `${median(r).toFixed(2)}x (${Math.min(...r).toFixed(2)}-${Math.max(...r).toFixed(2)})`;
}

/** A row of times (ms) direct and through sbx, by their medians and what sbx added. */
export function addedRow(
  label: string,
  direct: number[],
  sbx: number[],
  target: string,
  cpu: string,
): string[] {
  const d = median(direct);
  const s = median(sbx);
  return [
    label,
    `${d.toFixed(2)} ms`,
    `${s.toFixed(2)} ms`,
    `+${(s - d).toFixed(2)} ms`,
    '',
    '',
    target,
    cpu,
  ];
}

/**
 * The bench's table, then the requests that failed on each path (named by `paths`) and the
 * `notes` that are not empty.
 */
export function printReport(
  rows: string[][],
  paths: Map<Dispatcher | undefined, string>,
  notes: string[],
): void {
  printTable(
    [
      'scenario',
      'direct',
      'sbx',
      'sbx vs direct',
      'mitmdump vs direct',
      'tinyproxy vs direct',
      'target',
      'sbx CPU/req',
    ],
    rows,
  );
  for (const [dispatcher, failed] of failures) {
    console.log(
      `${paths.get(dispatcher) ?? 'a path'}: ${failed.count} requests failed (the last: ${failed.last})`,
    );
  }
  for (const note of notes) if (note) console.log(note);
}

function printTable(head: string[], body: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of body) console.log(line(row));
}

/**
 * The CPU time the hypervisor took from this machine's cores ("steal" in /proc/stat) during
 * each scenario: a round that lost some is a round whose ratio says less. Nothing where
 * there is no /proc/stat.
 */
export class Steal {
  readonly #marks: string[] = [];
  #before = stolenMs();

  /** Ends the scenario `label` measured since the last mark (or since this was made). */
  mark(label: string): void {
    const now = stolenMs();
    if (now !== undefined && this.#before !== undefined) {
      this.#marks.push(`${label} ${now - this.#before} ms`);
    }
    this.#before = now;
  }

  summary(): string {
    return this.#marks.length
      ? `CPU time the hypervisor took from this machine's cores (steal): ${this.#marks.join(', ')}.`
      : '';
  }
}
