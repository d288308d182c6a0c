// `sbx exec SANDBOX true` on a running sandbox, and `sbx run` of a new sandbox to its first
// command, against raw `bwrap … true`, all measured in this run. Needs bubblewrap.
// BENCH_ROUNDS=N sets the rounds; BENCH_ONLY=exec skips the (slow) new-sandbox series.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The `sbx` executable (package.json's bin) and the ES module CLI it hands everything but a
// plain `exec` of a running sandbox to.
const SBX = fileURLToPath(new URL('../dist/sbx.cjs', import.meta.url));
const SBX_ESM = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const ONLY_EXEC = process.env.BENCH_ONLY === 'exec';
const root = mkdtempSync(join(tmpdir(), 'sbx-bench-'));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  SANDBOXD_HOME: join(root, 'sandboxd'),
  DOCKER_CONFIG: join(root, 'docker'),
};
// Extra CA certificates make every Node start-up read and parse them (~90 ms here).
delete env.NODE_EXTRA_CA_CERTS;

function timed(command: string, args: string[]): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr?.toString().trim()}`);
  }
  return ms;
}

const sbx = (...args: string[]) => timed(process.execPath, [SBX, ...args]);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const BWRAP = [
  '--unshare-all',
  '--die-with-parent',
  '--ro-bind',
  '/usr',
  '/usr',
  '--symlink',
  'usr/bin',
  '/bin',
  '--symlink',
  'usr/lib',
  '/lib',
  '--symlink',
  'usr/lib64',
  '/lib64',
  '--proc',
  '/proc',
  '--dev',
  '/dev',
  '--tmpfs',
  '/tmp',
  'true',
];

try {
  const project = join(root, 'project');
  mkdirSync(project);
  sbx('create', 'shell', project, '-t', 'host', '--name', 'bench');
  const bwrap: number[] = [];
  const node: number[] = [];
  const version: number[] = [];
  const exec: number[] = [];
  const esmExec: number[] = [];
  const slowExec: number[] = [];
  const run: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    // Interleaved, so load changes on the machine hit every series alike.
    bwrap.push(timed('bwrap', BWRAP));
    node.push(timed(process.execPath, ['-e', '0']));
    version.push(sbx('version'));
    exec.push(sbx('exec', 'bench', 'true'));
    esmExec.push(timed(process.execPath, [SBX_ESM, 'exec', 'bench', 'true']));
    // `--tty=false` is valid but not a plain spelling, so it takes the yargs path (the old one).
    slowExec.push(sbx('exec', '--tty=false', 'bench', 'true'));
    if (ONLY_EXEC) continue;
    const workspace = join(root, `new-${i}`);
    mkdirSync(workspace);
    run.push(sbx('run', 'shell', workspace, '-t', 'host', '--', '-c', 'true'));
    sbx('rm', `shell-new-${i}`);
  }
  const base = median(bwrap);
  const row = (name: string, xs: number[]) =>
    `${name.padEnd(44)} ${median(xs).toFixed(1).padStart(8)} ms  ${(median(xs) / base).toFixed(1).padStart(6)}x bwrap`;
  console.log(`sandbox start and exec, median of ${ROUNDS} interleaved rounds`);
  console.log(row('bwrap … true (baseline)', bwrap));
  console.log(row('node -e 0 (the floor of any Node CLI)', node));
  console.log(row('sbx version (Node + CLI start-up, no sandbox)', version));
  console.log(row('sbx exec SANDBOX true (running sandbox)', exec));
  console.log(row('  the same through the ES module CLI (bin.js)', esmExec));
  console.log(row('sbx exec --tty=false SANDBOX true (via yargs)', slowExec));
  if (!ONLY_EXEC) console.log(row('sbx run shell NEW_DIR -t host -- -c true', run));
} finally {
  // reset also deletes the host template's shared trees, which belong to the sandboxes' root.
  spawnSync(process.execPath, [SBX, 'reset', '-f'], { env });
  spawnSync(process.execPath, [SBX, 'daemon', 'stop'], { env });
  rmSync(root, { recursive: true, force: true });
}
