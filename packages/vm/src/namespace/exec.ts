import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { VmError } from '../errors.ts';
import type { ExecOptions, ExitStatus, SandboxProcess, StdioMode } from '../types.ts';
import { type RunningFeatures, sandboxEnv } from './env.ts';
import { ALL, type InitRef, openHandles } from './handles.ts';
import { which } from './host-path.ts';
import { parsePasswd, readInsideRoot } from './passwd.ts';
import { childrenOf, sealStdio } from './procfs.ts';
import type { SandboxRecord } from './record.ts';

const CD_THEN_EXEC = 'cd -- "$1" || exit 126; shift; exec "$@"';

interface ExecUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** Joins every namespace of the running sandbox (its `init`) and runs `options.cmd`. */
export function execInSandbox(
  record: SandboxRecord,
  init: InitRef,
  features: RunningFeatures,
  options: ExecOptions,
): SandboxProcess {
  if (options.cmd.length === 0)
    throw new VmError('SBX_VM_INVALID', 'exec needs a command: cmd is empty');
  const user = resolveUser(record, options.user);
  const asRoot = process.getuid?.() === 0;
  const handles = openHandles(init, ALL);
  const args = [...handles.args];
  // -S/-G also drop the caller's supplementary groups; with a single mapped id setgroups
  // is denied, and our own id already is the sandbox's only user.
  if (!asRoot && record.ids.writer === 'single') {
    args.push('--preserve-credentials');
  } else {
    args.push('-S', String(user.uid), '-G', String(user.gid));
  }
  const workdir = options.workdir ?? record.workspaces[0]?.path ?? user.home;
  args.push('--');
  if (workdir && workdir !== '/') args.push('/bin/sh', '-c', CD_THEN_EXEC, 'sbx-exec', workdir);
  args.push(...options.cmd);
  const env = { ...sandboxEnv(record, user, features), ...options.env };
  if (options.tty && !env.TERM) env.TERM = process.env.TERM ?? 'xterm-256color';
  const mode = options.detach ? 'ignore' : (options.stdio ?? 'pipe');
  const stdio: StdioMode[] = typeof mode === 'string' ? [mode, mode, mode] : [...mode];
  const sealed = sealStdio([...stdio, ...handles.fds]);
  const tty = Boolean(options.tty && !options.detach);
  let child: ChildProcess;
  try {
    // Without a tty, `detached` makes nsenter a session leader with no controlling terminal.
    child = spawn(...hostCommand(args, tty), { stdio: sealed.stdio, env, detached: !tty });
  } finally {
    handles.close();
    sealed.done();
  }
  if (options.detach) child.unref();
  return wrap(child);
}

/**
 * bwrap mounts the root `nosuid`; lift that (keeping `nodev`) so `sudo` of an image whose
 * root is the sandbox's root works. The mount belongs to the sandbox's user namespace, so
 * a setuid file can never give more than the sandbox's root. Best effort: an image
 * without `mount` simply keeps `nosuid`.
 */
export async function allowSetuid(record: SandboxRecord, init: InitRef): Promise<void> {
  if (record.ids.writer === 'single') return;
  const proc = execInSandbox(
    record,
    init,
    { proxy: false, ca: false },
    {
      cmd: ['mount', '-n', '-o', 'remount,bind,suid,nodev', '/'],
      user: 'root',
      workdir: '/',
      stdio: 'pipe',
    },
  );
  proc.stdout?.resume();
  proc.stderr?.resume();
  await proc.exited.catch(() => undefined);
}

/**
 * A sandbox process must never get the caller's terminal as its controlling tty (TIOCSTI
 * would type commands into the user's shell): with `tty` it gets its own pty from `script`,
 * otherwise it starts a session of its own, without one.
 */
function hostCommand(nsenterArgs: string[], tty: boolean): [string, string[]] {
  const nsenter = tool('nsenter');
  if (!tty) return [nsenter, nsenterArgs];
  const line = [nsenter, ...nsenterArgs].map(shellQuote).join(' ');
  return [tool('script'), ['--quiet', '--return', '--command', line, '/dev/null']];
}

function tool(name: string): string {
  const path = which(name);
  if (!path)
    throw new VmError(
      'SBX_VM_PREFLIGHT',
      `${name} is not installed: sudo apt-get install -y util-linux`,
    );
  return path;
}

function shellQuote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

function resolveUser(record: SandboxRecord, spec: string | undefined): ExecUser {
  if (spec === undefined || spec === record.user.name) return record.user;
  if (spec === 'root' || spec === '0') return { name: 'root', uid: 0, gid: 0, home: '/root' };
  const numeric = /^(\d+)(?::(\d+))?$/.exec(spec);
  if (numeric) {
    const uid = Number(numeric[1]);
    const gid = Number(numeric[2] ?? numeric[1]);
    return { name: String(uid), uid, gid, home: '/' };
  }
  const passwd =
    record.template.type === 'image'
      ? readInsideRoot(record.template.rootfs, 'etc/passwd')
      : undefined;
  const entry = parsePasswd(passwd ?? '').find((e) => e.name === spec);
  if (!entry) {
    throw new VmError(
      'SBX_VM_INVALID',
      `unknown user "${spec}": use a user of the image's /etc/passwd or uid[:gid]`,
    );
  }
  return entry;
}

function wrap(child: ChildProcess): SandboxProcess {
  const exited = new Promise<ExitStatus>((resolve, reject) => {
    child.once('error', (cause) =>
      reject(new VmError('SBX_VM_EXEC_FAILED', 'cannot run nsenter', { cause })),
    );
    child.once('exit', (code, signal) => {
      const exitCode = code ?? 128 + (signal ? signalNumber(signal) : 0);
      resolve({ exitCode, signal });
    });
  });
  return {
    get pid() {
      return child.pid ?? -1;
    },
    stdin: child.stdin,
    stdout: child.stdout,
    stderr: child.stderr,
    exited,
    kill(signal: NodeJS.Signals = 'SIGTERM') {
      // nsenter does not forward signals: signal the process it started inside.
      const inner = child.pid ? innerProcess(child.pid) : undefined;
      try {
        if (inner) process.kill(inner, signal);
        else child.kill(signal);
      } catch {
        child.kill(signal);
      }
    },
  };
}

/** The sandbox process: the child of nsenter, below the script/sh wrappers. */
function innerProcess(pid: number): number | undefined {
  let current: number | undefined = pid;
  for (let depth = 0; current !== undefined && depth < 4; depth++) {
    if (comm(current) === 'nsenter') return childrenOf(current)[0];
    current = childrenOf(current)[0];
  }
  return undefined;
}

function comm(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 0;
}
