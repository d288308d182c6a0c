// Runs the whole vitest suite and ends with the plain "N passed, N failed" line CI reads.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

const report = '.vitest-report.json';
rmSync(report, { force: true });
const run = spawnSync(
  'pnpm',
  ['exec', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`],
  { stdio: 'inherit' },
);
let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed = json.numPassedTests;
  failed = json.numFailedTests + (json.numRuntimeErrorTestSuites ?? 0);
  skipped = json.numPendingTests + json.numTodoTests;
} catch {
  failed += 1;
}
const status = run.status ?? 1;
if (status !== 0 && failed === 0) failed = 1;
console.log(`\nvitest: ${passed} passed, ${failed} failed, ${skipped} skipped`);
if (process.env.CI && skipped > 0) {
  console.error('CI runs every test: a skipped test here means a missing tool or privilege.');
  process.exit(1);
}
process.exit(status);
