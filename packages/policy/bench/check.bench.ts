// checks/s of compilePolicy().check() against a linear scan over the same rules, measured in
// the same run, at 10, 1,000 and 100,000 rules. Run with `pnpm bench`.

import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type * as Api from '../src/index.ts';
import type { CheckRequest, Decision } from '../src/index.ts';
import { linearPolicy } from './linear.ts';
import { requests, ruleMix } from './workload.ts';

// The built package is measured, as users get it (turbo builds it before `bench`); a variable
// path keeps typecheck independent of dist/.
const dist = '../dist/index.js';
const { compilePolicy } = (await import(dist)) as typeof Api;

const SIZES = [10, 1_000, 100_000];
const SECONDS = Number(process.env.BENCH_SECONDS ?? 1.5);

let sink = 0;

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

// Many short rounds: on a shared machine, the best of them is the one that ran undisturbed.
const ROUNDS = 15;

function heapUsed(): number {
  collect();
  collect();
  return process.memoryUsage().heapUsed;
}

/**
 * Checks per CPU-second of `policy.check` over `reqs` (a power-of-two count): the best of
 * ROUNDS rounds of SECONDS / ROUNDS. CPU time, not wall time, and the best round, so that
 * other work on a shared machine counts against us as little as it can: this is one core's
 * rate. The loop calls the method directly and wraps its index with a mask, so that the
 * harness itself costs as little as it can of what is measured.
 */
function measure(policy: { check(r: CheckRequest): Decision }, reqs: CheckRequest[]): number {
  const mask = reqs.length - 1;
  if ((reqs.length & mask) !== 0) throw new Error('measure needs a power-of-two request count');
  let best = 0;
  let i = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const budget = BigInt(Math.round((SECONDS / ROUNDS) * 1e9));
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    let done = 0;
    do {
      for (let k = 0; k < 256; k++) {
        if (policy.check(reqs[i]!).action === 'allow') sink++;
        i = (i + 1) & mask;
      }
      done += 256;
    } while (process.hrtime.bigint() - start < budget);
    const used = process.cpuUsage(cpu);
    best = Math.max(best, (done * 1e6) / (used.user + used.system));
  }
  return best;
}

/**
 * Heap bytes per rule that compiled policies hold (with `rules()` built, or not), averaged over
 * enough copies to hold 100,000 rules in all (3 to 100), so small policies measure too.
 */
function heapPerRule(config: Api.PolicyConfig, n: number, listRules: boolean): number {
  const copies = Math.max(3, Math.min(100, Math.ceil(100_000 / n)));
  const held: Api.Policy[] = [];
  const before = heapUsed();
  for (let i = 0; i < copies; i++) {
    const p = compilePolicy(config);
    if (listRules) p.rules();
    held.push(p);
  }
  const used = heapUsed() - before;
  sink += held.length;
  return used / copies / n;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

interface SizeResult {
  memRow: string[];
  fast: number;
  warm: number;
  slow: number;
}

/** Everything measured at `n` rules: compiled and linear rates, compile time, heap. */
function measureSize(n: number): SizeResult {
  // Compile and check once first, so that the first measured heap holds no compiled code.
  sink += compilePolicy(ruleMix(1000)).rules().length;
  const config = ruleMix(n);
  // Through JSON, so that names are flat strings as a proxy decodes them from bytes, not the
  // ropes that template literals build.
  const reqs = JSON.parse(JSON.stringify(requests(n, 8192))) as CheckRequest[];
  const started = performance.now();
  let policy: Api.Policy | null = compilePolicy(config);
  const compileMs = performance.now() - started;
  measure(policy, reqs); // warm up the JIT
  collect();
  const fast = measure(policy, reqs);
  // The same checks over 256 requests: what is left when the rules they touch stay in cache.
  collect();
  const warm = measure(policy, reqs.slice(0, 256));
  const linear = linearPolicy(config);
  const sample = reqs.slice(0, n >= 100_000 ? 200 : 2000);
  const disagree = sample.filter(
    (r) => JSON.stringify(policy!.check(r)) !== JSON.stringify(linear.check(r)),
  );
  if (disagree.length > 0) {
    const r = disagree[0]!;
    console.error(`decisions disagree at ${n} rules:`, r, policy.check(r), linear.check(r));
    process.exit(1);
  }
  // What the proxy keeps (it never calls rules()), then with the rules() list built as well.
  const compiled = heapPerRule(config, n, false);
  const withRules = heapPerRule(config, n, true);
  const memRow = [
    fmt(n),
    fmt(compileMs),
    `${fmt(compiled)} B`,
    `${fmt(withRules)} B`,
    `${((withRules * n) / 1e6).toFixed(1)} MB`,
  ];
  // Each side is measured with only its own rules on the heap, after a full collection, so
  // that neither pays for collecting the other's garbage.
  policy = null;
  collect();
  const slow = measure(linear, reqs);
  return { memRow, fast, warm, slow };
}

// Each size runs in a process of its own (with its linear baseline): in one process, the code
// V8 had optimised for the policies measured before shaped the rate of the next, by up to 40%.
// The sizes take turns, REPEATS times, and each rate is the best of its turns: the host's
// speed drifts over tens of seconds, and a size measured only once may land in a slow spell.
const only = process.env.BENCH_POLICY_SIZE;
if (only !== undefined) {
  process.stdout.write(`${JSON.stringify(measureSize(Number(only)))}\n`);
  process.exit(sink === 0 ? 1 : 0);
}
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const turns: SizeResult[][] = SIZES.map(() => []);
for (let turn = 0; turn < REPEATS; turn++) {
  SIZES.forEach((n, i) => {
    const child = spawnSync(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url)],
      {
        env: { ...process.env, BENCH_POLICY_SIZE: String(n) },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    if (child.status !== 0) {
      console.error(`the bench at ${n} rules failed (exit ${child.status ?? child.signal})`);
      process.exit(1);
    }
    turns[i]!.push(JSON.parse(child.stdout) as SizeResult);
  });
}
const results = turns.map(
  (t): SizeResult => ({
    memRow: t[0]!.memRow,
    fast: Math.max(...t.map((r) => r.fast)),
    warm: Math.max(...t.map((r) => r.warm)),
    slow: Math.max(...t.map((r) => r.slow)),
  }),
);
const rows = [
  ['rules', 'compiled checks/s', 'warm-set checks/s', 'linear checks/s', 'compiled / linear'],
  ...results.map((r, i) => [
    fmt(SIZES[i]!),
    fmt(r.fast),
    fmt(r.warm),
    fmt(r.slow),
    `${(r.fast / r.slow).toFixed(1)}x`,
  ]),
];
const memRows = [
  ['rules', 'compile ms', 'heap/rule', 'heap/rule after rules()', 'heap total after rules()'],
  ...results.map((r) => r.memRow),
];
const speeds = results.map((r) => r.fast);
const warmSpeeds = results.map((r) => r.warm);
function table(t: string[][]): void {
  const widths = t[0]!.map((_, i) => Math.max(...t.map((r) => r[i]!.length)));
  for (const r of t) {
    console.log(
      r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '),
    );
  }
}
table(rows);
const flat = (v: number[]) => SIZES.map((n, i) => `${fmt(n)} rules ${(v[i]! / v[0]!).toFixed(2)}x`);
console.log(`flatness, 8,192 distinct requests: ${flat(speeds).join(', ')} of the 10-rule speed`);
console.log(
  `flatness, 256 distinct requests:   ${flat(warmSpeeds).join(', ')} of the 10-rule speed`,
);
console.log(
  `decisions agree with the linear scan on every sampled request; rates are per CPU-second of one thread, the best of ${REPEATS} turns of each size (load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores while measuring)`,
);
console.log('');
table(memRows);
