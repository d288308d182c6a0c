import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxHome } from './sandbox-home.ts';

// Each test starts a real sandboxd; on a loaded 2-core machine that takes seconds.
describe('sbx daemon', { timeout: 60_000 }, () => {
  it('starts, reports and stops sandboxd', async () => {
    await using home = await sandboxHome();
    const socket = join(home.env.SANDBOXD_HOME!, 'sandboxd.sock');
    const log = join(home.env.SANDBOXD_HOME!, 'sandboxd.log');
    expect(await home.sbx(['daemon', 'status', '--json'])).toEqual({
      code: 0,
      stdout: `${JSON.stringify({ running: false, socket, log })}\n`,
      stderr: '',
    });
    const started = await home.sbx(['daemon', 'start']);
    expect(started.stdout).toMatch(/^sandboxd started \(pid \d+\)\n$/);
    const pid = Number(/pid (\d+)/.exec(started.stdout)![1]);
    expect((await home.sbx(['daemon', 'start'])).stdout).toBe(
      `sandboxd is already running (pid ${pid})\n`,
    );
    const status = await home.sbx(['daemon', 'status']);
    expect(status.stdout).toBe(
      `sandboxd is running (pid ${pid}, version 0.0.0)\nsocket: ${socket}\nlog:    ${log}\n`,
    );
    expect((await stat(socket)).mode & 0o777).toBe(0o600);
    expect((await home.sbx(['daemon', 'stop'])).stdout).toBe(`sandboxd stopped (pid ${pid})\n`);
    expect((await home.sbx(['daemon', 'stop'])).stdout).toBe('sandboxd is not running\n');
  });
});

describe('sbx sandbox commands without sandboxes', { timeout: 60_000 }, () => {
  let home: Awaited<ReturnType<typeof sandboxHome>>;
  beforeAll(async () => {
    home = await sandboxHome();
  }, 60_000);
  afterAll(async () => {
    await home[Symbol.asyncDispose]();
  }, 60_000);

  it('lists nothing, and starts the daemon on demand to do so', async () => {
    expect(await home.sbx(['ls'])).toEqual({
      code: 0,
      stdout: 'NAME  AGENT  STATUS  TEMPLATE  WORKSPACE  CREATED\n',
      stderr: '',
    });
    expect((await home.sbx(['ls', '--json'])).stdout).toBe('[]\n');
    expect((await home.sbx(['ls', '-q'])).stdout).toBe('');
    expect((await home.sbx(['daemon', 'status'])).stdout).toMatch(/^sandboxd is running/);
  });

  it.each([
    [['inspect', 'nope'], `sbx: no sandbox named "nope": 'sbx ls' lists the sandboxes\n`],
    [['stop', 'nope'], `sbx: no sandbox named "nope": 'sbx ls' lists the sandboxes\n`],
    [['rm', 'nope'], `sbx: no sandbox named "nope": 'sbx ls' lists the sandboxes\n`],
    [['exec', 'nope', 'true'], `sbx: no sandbox named "nope": 'sbx ls' lists the sandboxes\n`],
    [['network', 'log', 'nope'], `sbx: no sandbox named "nope": 'sbx ls' lists the sandboxes\n`],
    [
      ['run', 'nope'],
      `sbx: "nope" is neither an agent (claude, codex, gemini, cagent, kiro, shell) nor a sandbox: 'sbx ls' lists the sandboxes\n`,
    ],
    [
      ['reset'],
      "sbx: reset removes every sandbox and needs confirmation: run 'sbx reset -f' to reset without asking\n",
    ],
  ])('sbx %j fails in one line', async (args, stderr) => {
    expect(await home.sbx(args)).toEqual({ code: 1, stdout: '', stderr });
  });

  it('resets with -f, and prints the empty request log', async () => {
    expect(await home.sbx(['reset', '-f'])).toEqual({
      code: 0,
      stdout: 'no sandboxes to remove\n',
      stderr: '',
    });
    expect(await home.sbx(['network', 'log'])).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it.each([
    [['exec', '--bogus', 'box', 'true'], 'sbx: Unknown argument: bogus\n'],
    [['exec', '-itx', 'box', 'true'], 'sbx: Unknown argument: x\n'],
    [['exec', '-e'], 'sbx: Not enough arguments following: e\n'],
    [['exec'], 'sbx: exec needs a sandbox and a command: sbx exec SANDBOX COMMAND [ARG…]\n'],
    [
      ['exec', '-it', 'box'],
      'sbx: exec needs a sandbox and a command: sbx exec SANDBOX COMMAND [ARG…]\n',
    ],
  ])('refuses sbx %j as a usage error before reaching the daemon', async (args, stderr) => {
    expect(await home.sbx(args)).toEqual({ code: 2, stdout: '', stderr });
  });
});
