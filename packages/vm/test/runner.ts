/**
 * Runs one scenario in this process and prints its result as JSON: the tests start it as an
 * ordinary user (`runuser -u sbxtest -- node --import tsx test/runner.ts NAME`). `hold` and
 * `resume` serve the "controlling process killed with SIGKILL" test.
 */
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNamespaceDriver } from '../src/index.ts';
import { busyboxRootfs } from './fixtures.ts';
import { run, type ScenarioName, scenarios } from './scenarios.ts';

const [name, arg] = process.argv.slice(2);
const driver = createNamespaceDriver();

if (name === 'hold') {
  const tmp = mkdtempSync(join(tmpdir(), 'sbx-vm-hold-'));
  const ws = join(tmp, 'ws');
  mkdirSync(ws);
  const dir = join(tmp, 'sandbox');
  const info = await driver.create({
    name: 'held',
    dir,
    template: { type: 'image', rootfs: busyboxRootfs(tmp) },
    workspaces: [{ path: ws }],
  });
  if (process.getuid?.() === 0) {
    const { chownSync } = await import('node:fs');
    chownSync(ws, info.hostUser.uid, info.hostUser.gid);
  }
  await driver.start(dir, { proxySocket: join(tmp, 'none.sock') });
  await run(driver, dir, { cmd: ['sh', '-c', 'echo kept > /root/kept'], user: 'root' });
  const sleeper = await driver.exec(dir, { cmd: ['sleep', '1000'], detach: true });
  const state = JSON.parse(readFileSync(join(dir, 'run/state.json'), 'utf8'));
  const pidns = readlinkSync(`/proc/${state.stagePid}/ns/pid`);
  process.stdout.write(
    `${JSON.stringify({ runner: process.pid, tmp, dir, pidns, pids: [state.bwrapPid, state.stagePid, state.initPid, sleeper.pid] })}\n`,
  );
  setInterval(() => {}, 1 << 30);
} else if (name === 'resume' && arg) {
  const { tmp, dir } = JSON.parse(arg) as { tmp: string; dir: string };
  const before = (await driver.inspect(dir)).status;
  await driver.start(dir);
  const kept = await run(driver, dir, { cmd: ['cat', '/root/kept'], user: 'root' });
  await driver.remove(dir);
  rmSync(tmp, { recursive: true, force: true });
  process.stdout.write(JSON.stringify({ before, kept: kept.stdout }));
} else {
  const result = await scenarios[name as ScenarioName]();
  process.stdout.write(JSON.stringify(result));
}
