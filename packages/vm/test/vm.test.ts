import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createNamespaceDriver } from '../src/index.ts';
import { captureOutput } from './lab.ts';
import { PEM, run, type ScenarioName, scenarios } from './scenarios.ts';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const hasBwrap = (() => {
  try {
    execFileSync('bwrap', ['--version']);
    return true;
  } catch {
    return false;
  }
})();
const isRoot = process.getuid?.() === 0;
const TEST_USER = 'sbxtest';

if (!hasBwrap) console.warn('skipping @sbx/vm sandbox tests: bubblewrap (bwrap) is not installed');
if (!isRoot) console.warn('skipping the as-root variants of @sbx/vm tests: not running as root');

/** As root, tests run twice: as root in-process and as an ordinary user in a runner process. */
const variants = [
  { as: 'root', skip: !hasBwrap || !isRoot },
  { as: 'an ordinary user', skip: !hasBwrap },
] as const;

const NOSUB_USER = 'sbxnosub';
/** A runner started with an extra pipe at fd 9, like a daemon started with a stray fd. */
const LEAK_STDIO = [
  'ignore',
  'pipe',
  'pipe',
  'ignore',
  'ignore',
  'ignore',
  'ignore',
  'ignore',
  'ignore',
  'pipe',
] as const;

function runScenario(
  as: (typeof variants)[number]['as'],
  name: ScenarioName,
  arg?: string,
): Promise<unknown> {
  const user = runnerUser(as);
  if (user === null) return scenarios[name]();
  return runner([user, name, ...(arg ? [arg] : [])]).result;
}

/** Who runs a variant's scenarios: this process's user (null), or the ordinary test user. */
function runnerUser(as: (typeof variants)[number]['as']): string | null {
  return as === 'root' || !isRoot ? null : TEST_USER;
}

/**
 * The scenario runner as `user` (null: as this process's own user, with its environment, as
 * the SIGKILL tests need their own process); `result` is its parsed JSON output.
 */
function runner([user, ...args]: [string | null, ...string[]], leakFd9 = false) {
  const node = [process.execPath, '--import', 'tsx', 'test/runner.ts', ...args];
  const [command, ...rest] = user === null ? node : ['runuser', '-u', user, '--', ...node];
  const child = spawn(command!, rest, {
    cwd: pkg,
    env:
      user === null ? process.env : { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' },
    stdio: leakFd9 ? [...LEAK_STDIO] : ['ignore', 'pipe', 'pipe'],
  });
  const output = captureOutput(child);
  const result = new Promise<unknown>((resolve, reject) => {
    child.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(output.stdout()));
      else reject(new Error(`runner ${args[0]} exited ${code}: ${output.stderr()}`));
    });
  });
  return { child, result, stdout: output.stdout };
}

beforeAll(() => {
  if (!isRoot || !hasBwrap) return;
  try {
    execFileSync('id', [TEST_USER], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--create-home', TEST_USER]);
  }
  const subuid = execFileSync('cat', ['/etc/subuid']).toString();
  if (!subuid.split('\n').some((l) => l.startsWith(`${TEST_USER}:`))) {
    execFileSync('usermod', [
      '--add-subuids',
      '300000-365535',
      '--add-subgids',
      '300000-365535',
      TEST_USER,
    ]);
  }
  execFileSync('groupadd', ['-f', 'sbxextra']);
  execFileSync('usermod', ['-aG', 'sbxextra', TEST_USER]);
  try {
    execFileSync('id', [NOSUB_USER], { stdio: 'ignore' });
  } catch {
    const noSubIds = ['-K', 'SUB_UID_COUNT=0', '-K', 'SUB_GID_COUNT=0'];
    execFileSync('useradd', ['--create-home', ...noSubIds, NOSUB_USER]);
  }
  for (const user of [TEST_USER, NOSUB_USER]) {
    try {
      execFileSync('runuser', ['-u', user, '--', 'test', '-r', join(pkg, 'test/runner.ts')]);
    } catch {
      throw new Error(
        `${user} cannot read ${pkg}: the checkout must be world-readable for these tests`,
      );
    }
  }
});

describe.each(variants)('namespace driver as $as', ({ as, skip }) => {
  it.skipIf(skip)('finds nothing missing on this machine', async () => {
    expect(await runScenario(as, 'preflight')).toEqual({ ok: true, problems: [] });
  });

  it.skipIf(skip)('returns output and exit codes; args reach the program verbatim', async () => {
    expect(await runScenario(as, 'output')).toEqual({
      status: 'running',
      oneInit: true,
      result: { stdout: 'out\n', stderr: 'err\n', exitCode: 3 },
      identity: {
        stdout: expect.stringMatching(/^agent\n1000\n\/.+\/ws-out\nout\n$/),
        stderr: '',
        exitCode: 0,
      },
      // no supplementary group of the caller (the test user has one) comes along
      ids: 'uid=1000(agent) gid=1000(agent)\n',
      root: { stdout: 'root\nroot\n', stderr: '', exitCode: 0 },
      args: { stdout: '--dash $HOME a b\n', stderr: '', exitCode: 0 },
      dev: 'core fd full null ptmx pts random shm stderr stdin stdout tty urandom zero ',
      tty: { stdout: 'tty\r\n', stderr: '', exitCode: 0 },
      noTty: { stdout: 'none\n', stderr: '', exitCode: 0 },
      orphansReaped: '0\n',
      killed: { exitCode: 143, signal: 'SIGTERM' },
    });
  });

  it.skipIf(skip)(
    'shows workspace edits on the host at once; :ro workspaces stay read-only',
    async () => {
      expect(await runScenario(as, 'workspace')).toEqual({
        write: 0,
        onHost: 'edited\n',
        roFailed: true,
        roKept: 'original\n',
      });
    },
  );

  it.skipIf(skip)(
    'host template: no host temp file, home, socket or shadow file is visible',
    async () => {
      expect(await runScenario(as, 'hidden')).toEqual({
        tmpFile: 'hidden\n',
        homeFile: 'hidden\n',
        sandboxDir: 'hidden\n',
        // only the path down to the workspace, which lives under the host's /tmp here
        tmpListing: '/run:\n\n/tmp:\n<workspace parent>\n\n/var/tmp:\n',
        shadow: true,
        hostUsr: 'yes\n',
        dockerSocket: 'hidden\n',
      });
    },
  );

  it.skipIf(skip)(
    "host template: the sandbox's root installs into /usr and /etc, into its own layer only",
    async () => {
      expect(await runScenario(as, 'hostInstall')).toEqual({
        install: 0,
        append: 2,
        onHost: false,
        inLayer: true,
        afterRestart: 'v1\n',
        inOther: 1,
        withoutCache: 2,
      });
    },
  );

  it.skipIf(skip)(
    'keeps an install outside the workspace across stop/start, in that sandbox only',
    async () => {
      expect(await runScenario(as, 'persistence')).toEqual({
        install: 0,
        stopped: 'stopped',
        afterRestart: 'tool works\n',
        inOther: 1,
        otherWorkspace: 'hidden\n',
        otherProcesses: '0\n',
        otherLoopback: { inA: 'shared loopback\n', inB: true },
      });
    },
  );

  it.skipIf(skip)(
    "never follows the sandbox's symlinks when the next start writes files",
    async () => {
      expect(await runScenario(as, 'symlinks')).toEqual({
        plant: 0,
        victim: 'safe\n',
        workspace: ['victim'],
        inside: `1\n${PEM}`,
      });
    },
  );

  it.skipIf(skip)('passes no inherited host fd into the sandbox', async () => {
    const leaky = runner([runnerUser(as), 'fds'], true);
    expect(await leaky.result).toEqual({ hostHasFd9: true, hostObjects: [] });
  });

  it.skipIf(skip)('answers misuse with stable error codes', async () => {
    expect(await runScenario(as, 'errors')).toEqual({
      again: 'SBX_VM_EXISTS',
      badName: 'SBX_VM_INVALID',
      stoppedExec: 'SBX_VM_NOT_RUNNING',
      missing: 'SBX_VM_NOT_FOUND',
      emptyCmd: 'SBX_VM_INVALID',
      unknownUser: 'SBX_VM_INVALID',
    });
  });

  it.skipIf(skip)('fails to start with a clear code when a workspace is gone', async () => {
    expect(await runScenario(as, 'startFails')).toEqual({
      error: 'SBX_VM_START_FAILED',
      status: 'stopped',
    });
  });

  it.skipIf(skip)('runs images without sleep (pid 1 is the init)', async () => {
    expect(await runScenario(as, 'noSleep')).toEqual({
      first: 'up\n0\n',
      stopped: 'stopped',
      again: 'again\n',
    });
  });

  it.skipIf(skip)('puts the CA and the proxy name into images and the host template', async () => {
    const expected = `127.0.0.1\thost.docker.internal\n${PEM}${PEM}`;
    expect(await runScenario(as, 'trust')).toEqual({
      host: expected,
      image: expected,
      unshifted: expected,
    });
  });

  it.skipIf(skip)("runs setuid programs owned by the sandbox's root (sudo)", async () => {
    expect(await runScenario(as, 'setuid')).toEqual({ install: 0, euid: '0\n' });
  });

  it.skipIf(skip)('fails direct TCP, UDP and DNS: only loopback exists', async () => {
    expect(await runScenario(as, 'network')).toEqual({
      tcp: false,
      outside: true,
      udpDatagrams: 0,
      udpExit: expect.any(Number),
      dns: true,
      interfaces: ['lo'],
    });
  });

  it.skipIf(skip)(
    'bridges host.docker.internal:3128 to the proxy socket, with proxy and CA env',
    async () => {
      const result = (await runScenario(as, 'bridge')) as Record<string, unknown>;
      expect(result).toEqual({
        direct: 'via proxy socket\n',
        proxied: 'via proxy socket\n',
        // busybox wget honours http_proxy for every host not in NO_PROXY
        seen: ['GET http://host.docker.internal:3128/hello', 'GET http://example.com/page'],
        env: [
          'CURL_CA_BUNDLE=/run/sbx/ca-bundle.pem',
          'GIT_SSL_CAINFO=/run/sbx/ca-bundle.pem',
          'HTTPS_PROXY=http://host.docker.internal:3128',
          'HTTP_PROXY=http://host.docker.internal:3128',
          'NODE_EXTRA_CA_CERTS=/run/sbx/ca-bundle.pem',
          'NO_PROXY=localhost,127.0.0.1,::1',
          'REQUESTS_CA_BUNDLE=/run/sbx/ca-bundle.pem',
          'SSL_CERT_FILE=/run/sbx/ca-bundle.pem',
          'http_proxy=http://host.docker.internal:3128',
          'https_proxy=http://host.docker.internal:3128',
          'no_proxy=localhost,127.0.0.1,::1',
          '',
        ].join('\n'),
        bundle: `${PEM}---\n${PEM}`,
      });
    },
  );

  it.skipIf(skip)(
    'lets one exec reach a listener another exec opened on the sandbox loopback',
    async () => {
      expect(await runScenario(as, 'loopback')).toEqual({
        stdout: 'shared loopback\n',
        stderr: '',
        exitCode: 0,
      });
    },
  );

  it.skipIf(skip)(
    'SIGKILL of the controlling process leaves no process; the next start keeps the files',
    async () => {
      const hold = runner([runnerUser(as), 'hold']);
      const line = await firstLine(hold.stdout);
      const held = JSON.parse(line) as {
        runner: number;
        dir: string;
        pidns: string;
        pids: number[];
      };
      // Another process can exec into it (the CLI attaching to a sandbox sandboxd started).
      const other = await run(createNamespaceDriver(), held.dir, {
        cmd: ['cat', '/root/kept'],
        user: 'root',
      });
      expect(other).toEqual({ stdout: 'kept\n', stderr: '', exitCode: 0 });
      process.kill(held.runner, 'SIGKILL');
      await hold.result.catch(() => {});
      const alive = async () => {
        for (let i = 0; i < 500; i++) {
          if (inNamespace(held.pidns).length === 0 && held.pids.every((p) => !exists(p))) return [];
          await sleep(10);
        }
        return [...inNamespace(held.pidns), ...held.pids.filter(exists)];
      };
      expect(await alive()).toEqual([]);
      const resume = runner([runnerUser(as), 'resume', line]);
      expect(await resume.result).toEqual({ before: 'stopped', kept: 'kept\n' });
    },
  );
});

describe('namespace driver as a user without /etc/subuid range', () => {
  it.skipIf(!hasBwrap || !isRoot)(
    'runs the sandbox user as root inside, on the one id it has',
    async () => {
      expect(await runner([NOSUB_USER, 'single']).result).toEqual({
        user: { name: 'agent', uid: 0, gid: 0, home: '/home/agent' },
        id: '0\n',
        kept: 'kept\nx\n',
        removed: true,
      });
    },
  );
});

describe('namespace driver as root with a host user', () => {
  it.skipIf(!hasBwrap || !isRoot)(
    'acts as that user on the workspace, never as host root',
    async () => {
      const id = (flag: string) => Number(execFileSync('id', [flag, TEST_USER]).toString());
      const [uid, gid] = [id('-u'), id('-g')];
      expect(await scenarios.hostUser(uid, gid)).toEqual({
        hostUser: { uid, gid },
        write: { stdout: '1000\n', stderr: '', exitCode: 0 },
        owner: [uid, gid],
      });
    },
  );
});

async function firstLine(read: () => string): Promise<string> {
  for (let i = 0; i < 3000; i++) {
    const text = read();
    if (text.includes('\n')) return text.slice(0, text.indexOf('\n'));
    await sleep(10);
  }
  throw new Error('runner printed nothing');
}

/** A live process (a zombie has released everything; who reaps it is not ours to decide). */
function exists(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Host pids of every process still in the sandbox's pid namespace. */
function inNamespace(pidns: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/pid`) === pidns && exists(Number(entry)))
        found.push(Number(entry));
    } catch {}
  }
  return found;
}
