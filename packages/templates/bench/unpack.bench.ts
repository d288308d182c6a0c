// Import + unpack of a ~280 MB / 12k-file image against `tar -xzf` of the same layer and
// `umoci unpack --rootless` of the same image, in the same run; then a second sandbox's resolve.
// Wall time is the claim; CPU time (user + sys, children included) is printed too because on a
// shared machine it is the steadier number.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../src/store/store.ts';
import { benchImage, benchXattrsImage, cacheDir, writeLayout } from './image.ts';

const runs = Number(process.env.BENCH_RUNS ?? 5);
// BENCH_XATTRS=1: every file carries a user.* attribute; tar then runs with --xattrs too.
const xattrs = process.env.BENCH_XATTRS === '1';
const image = xattrs ? benchXattrsImage() : benchImage();
const tarArgs = xattrs ? ['--xattrs', '--xattrs-include=user.*'] : [];
const work = mkdtempSync(join(cacheDir, 'run-'));
const layout = join(work, 'layout');
writeLayout(layout, image.layer, 'bench');
console.log(
  `image: ${image.label}\n  ${image.files} entries, ${(image.bytes / 1e6).toFixed(0)} MB unpacked, layer ${image.layer}`,
);

interface Sample {
  wall: number;
  cpu: number;
}

/** CPU seconds of this process plus its waited-for children (from /proc/self/stat). */
function cpuNow(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(fields[13]) + Number(fields[14]);
  const own = process.cpuUsage();
  return (own.user + own.system) / 1e6 + ticks / 100;
}

async function measure(fn: () => unknown): Promise<Sample> {
  spawnSync('sync');
  const c = cpuNow();
  const t = process.hrtime.bigint();
  await fn();
  return { wall: Number(process.hrtime.bigint() - t) / 1e9, cpu: cpuNow() - c };
}

const results: Record<string, Sample[]> = {
  'tar -xzf': [],
  'sbx import+unpack': [],
  'umoci unpack --rootless': [],
  'sbx second sandbox (resolve)': [],
};
const hasUmoci = spawnSync('umoci', ['--version']).status === 0;
for (let i = 0; i < runs; i++) {
  const out = join(work, `tar-${i}`);
  mkdirSync(out);
  results['tar -xzf']!.push(
    await measure(() => execFileSync('tar', [...tarArgs, '-xzf', image.layer, '-C', out])),
  );
  rmSync(out, { recursive: true, force: true });

  const root = join(work, `store-${i}`);
  const store = openStore({ root });
  results['sbx import+unpack']!.push(
    await measure(() => store.importArchive(layout, { tag: 'bench' })),
  );
  results['sbx second sandbox (resolve)']!.push(
    await measure(() => openStore({ root }).resolve('bench')),
  );
  rmSync(root, { recursive: true, force: true });

  if (hasUmoci) {
    const bundle = join(work, `umoci-${i}`);
    const args = ['unpack', '--rootless', '--image', `${layout}:bench`, bundle];
    results['umoci unpack --rootless']!.push(
      await measure(() => execFileSync('umoci', args, { stdio: 'ignore' })),
    );
    rmSync(bundle, { recursive: true, force: true });
  }
}
rmSync(work, { recursive: true, force: true });

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const tar = results['tar -xzf']!;
// Each run's ratio is against the tar run measured just before it: paired, so load that comes
// and goes on a shared machine cancels out; the median of those ratios is the claim.
const ratio = (xs: Sample[], k: keyof Sample) => median(xs.map((x, i) => x[k] / tar[i]![k]));
const fmt = (s: number) => (s < 1 ? `${(s * 1000).toFixed(1)} ms` : `${s.toFixed(2)} s`);
console.log(
  `\nmedian of ${runs} runs (sync before each; wall time, then CPU time; ratios paired per run):`,
);
for (const [name, xs] of Object.entries(results)) {
  if (xs.length === 0) {
    console.log(`  ${name.padEnd(30)} skipped (not installed)`);
    continue;
  }
  const w = median(xs.map((x) => x.wall));
  const c = median(xs.map((x) => x.cpu));
  console.log(
    `  ${name.padEnd(30)} ${fmt(w).padStart(9)}  ${ratio(xs, 'wall').toFixed(2)}x tar   cpu ${fmt(c).padStart(9)}  ${ratio(xs, 'cpu').toFixed(2)}x tar`,
  );
}
console.log(
  '\nsbx import+unpack includes copying the layer into the store with sha256 verification and the diff_id check.',
);
