// A driver for profiling check() alone: `node --import tsx --cpu-prof bench/profile.ts 1000`
// (rule count; POLICY_DIST=path/to/index.js profiles another build). Prints checks per CPU-second.
import type * as Api from '../src/index.ts';
import { requests, ruleMix } from './workload.ts';

const dist = process.env.POLICY_DIST ?? '../dist/index.js';
const { compilePolicy } = (await import(dist)) as typeof Api;
const n = Number(process.argv[2] ?? 1000);
const p = compilePolicy(ruleMix(n));
const reqs = requests(n, 8192);
let sink = 0;
const t = Date.now();
const cpu = process.cpuUsage();
let done = 0;
while (Date.now() - t < 4000) {
  for (const r of reqs) if (p.check(r).action === 'allow') sink++;
  done += reqs.length;
}
const u = process.cpuUsage(cpu);
console.log(n, Math.round((done * 1e6) / (u.user + u.system)), sink > 0);
