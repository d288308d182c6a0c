// Import + unpack of a ~280 MB / 12k-file image against `tar -xzf` of the same layer and
// `umoci unpack --rootless` of the same image, in the same run; then a second sandbox's resolve.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../src/store/store.ts';
import { benchImage, cacheDir, writeLayout } from './image.ts';

const runs = Number(process.env.BENCH_RUNS ?? 3);
const image = benchImage();
const work = mkdtempSync(join(cacheDir, 'run-'));
const layout = join(work, 'layout');
writeLayout(layout, image.layer, 'bench');
console.log(
  `image: ${image.label}\n  ${image.files} entries, ${(image.bytes / 1e6).toFixed(0)} MB unpacked, layer ${image.layer}`,
);

const time = (fn: () => void) => {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
};
const timeAsync = async (fn: () => Promise<unknown>) => {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
};
const sync = () => spawnSync('sync');

const results: Record<string, number[]> = {
  'tar -xzf': [],
  'sbx import+unpack': [],
  'umoci unpack --rootless': [],
  'sbx second sandbox (resolve)': [],
};
const hasUmoci = spawnSync('umoci', ['--version']).status === 0;
for (let i = 0; i < runs; i++) {
  const out = join(work, `tar-${i}`);
  execFileSync('mkdir', ['-p', out]);
  sync();
  results['tar -xzf']!.push(time(() => execFileSync('tar', ['-xzf', image.layer, '-C', out])));
  rmSync(out, { recursive: true, force: true });

  const root = join(work, `store-${i}`);
  sync();
  const store = openStore({ root });
  results['sbx import+unpack']!.push(
    await timeAsync(() => store.importArchive(layout, { tag: 'bench' })),
  );
  results['sbx second sandbox (resolve)']!.push(
    await timeAsync(() => openStore({ root }).resolve('bench')),
  );
  rmSync(root, { recursive: true, force: true });

  if (hasUmoci) {
    const bundle = join(work, `umoci-${i}`);
    sync();
    results['umoci unpack --rootless']!.push(
      time(() =>
        execFileSync('umoci', ['unpack', '--rootless', '--image', `${layout}:bench`, bundle], {
          stdio: 'ignore',
        }),
      ),
    );
    rmSync(bundle, { recursive: true, force: true });
  }
}
rmSync(work, { recursive: true, force: true });

const best = (xs: number[]) => Math.min(...xs);
const base = best(results['tar -xzf']!);
console.log(`\nbest of ${runs} runs (page cache warm, sync before each):`);
for (const [name, xs] of Object.entries(results)) {
  if (xs.length === 0) {
    console.log(`  ${name.padEnd(30)} skipped (not installed)`);
    continue;
  }
  const b = best(xs);
  const t = b < 1 ? `${(b * 1000).toFixed(1)} ms` : `${b.toFixed(2)} s`;
  console.log(`  ${name.padEnd(30)} ${t.padStart(10)}   ${(b / base).toFixed(2)}x tar -xzf`);
}
console.log(
  '\nsbx import+unpack includes copying the layer into the store with sha256 verification and the diff_id check.',
);
