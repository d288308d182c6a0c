import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { release, userInfo } from 'node:os';
import { promisify } from 'node:util';
import type { PreflightProblem, PreflightReport } from '../types.ts';
import { which } from './host-path.ts';
import { readSubordinateRange } from './subid.ts';

const run = promisify(execFile);

/** What preflight looks at, gathered once so the rules below stay pure and testable. */
export interface Machine {
  platform: string;
  root: boolean;
  user: string;
  kernel: string;
  tools: Record<string, boolean>;
  sysctl: Record<string, string | undefined>;
  subordinateIds: boolean;
}

const TOOLS = ['bwrap', 'nsenter', 'setpriv', 'mount', 'script', 'newuidmap', 'newgidmap'];
const SYSCTLS = [
  'user.max_user_namespaces',
  'kernel.unprivileged_userns_clone',
  'kernel.apparmor_restrict_unprivileged_userns',
];

/** Looks at this machine. */
export function probeMachine(): Machine {
  const { username, uid } = userInfo();
  const sysctl: Machine['sysctl'] = {};
  for (const name of SYSCTLS) {
    try {
      sysctl[name] = readFileSync(`/proc/sys/${name.replaceAll('.', '/')}`, 'utf8').trim();
    } catch {
      sysctl[name] = undefined;
    }
  }
  return {
    platform: process.platform,
    root: uid === 0,
    user: username,
    kernel: release(),
    tools: Object.fromEntries(TOOLS.map((t) => [t, which(t) !== undefined])),
    sysctl,
    subordinateIds: Boolean(
      readSubordinateRange('/etc/subuid', username, uid) &&
        readSubordinateRange('/etc/subgid', username, uid),
    ),
  };
}

/** The problems of a machine, each with the exact command that fixes it. */
export function checkMachine(m: Machine): PreflightProblem[] {
  const problems: PreflightProblem[] = [];
  const add = (check: string, message: string, fix: string, fatal = true) =>
    problems.push({ check, message, fix, fatal });
  if (m.platform !== 'linux') {
    add('platform', `the namespace driver needs Linux, this is ${m.platform}`, 'run sbx on Linux');
    return problems;
  }
  if (!m.tools.bwrap)
    add('bwrap', 'bubblewrap (bwrap) is not installed', 'sudo apt-get install -y bubblewrap');
  for (const tool of ['nsenter', 'setpriv', 'mount', 'script']) {
    if (!m.tools[tool])
      add(tool, `${tool} (util-linux) is not installed`, 'sudo apt-get install -y util-linux');
  }
  if (m.sysctl['user.max_user_namespaces'] === '0') {
    add(
      'user.max_user_namespaces',
      'user namespaces are disabled (user.max_user_namespaces = 0)',
      'sudo sysctl -w user.max_user_namespaces=28633',
    );
  }
  if (!m.root && m.sysctl['kernel.unprivileged_userns_clone'] === '0') {
    add(
      'kernel.unprivileged_userns_clone',
      'unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)',
      'sudo sysctl -w kernel.unprivileged_userns_clone=1',
    );
  }
  if (!m.root && m.sysctl['kernel.apparmor_restrict_unprivileged_userns'] === '1') {
    add(
      'kernel.apparmor_restrict_unprivileged_userns',
      'AppArmor forbids unprivileged user namespaces to programs without a profile (Ubuntu >= 23.10)',
      'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0',
    );
  }
  const [major = 0, minor = 0] = m.kernel.split('.').map((n) => Number.parseInt(n, 10));
  if (major < 5 || (major === 5 && minor < 11)) {
    add(
      'kernel',
      `kernel ${m.kernel} cannot mount overlayfs inside a user namespace (needs >= 5.11)`,
      'upgrade the kernel to 5.11 or later',
    );
  }
  if (!m.root && (!m.subordinateIds || !m.tools.newuidmap || !m.tools.newgidmap)) {
    add(
      'subordinate-ids',
      `no subordinate uid/gid range for ${m.user} (or newuidmap missing): the sandbox user is root inside and no other user exists`,
      `sudo apt-get install -y uidmap && sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${m.user}`,
      false,
    );
  }
  return problems;
}

/** Everything the namespace driver needs from the machine, each with the command that fixes it. */
export async function preflight(): Promise<PreflightReport> {
  const machine = probeMachine();
  const problems = checkMachine(machine);
  if (problems.every((p) => !p.fatal)) {
    // The sysctls are not the whole story (LSMs, container runtimes): try it.
    try {
      await run('bwrap', ['--unshare-all', '--ro-bind', '/', '/', '--', 'true'], {
        timeout: 10_000,
      });
    } catch (cause) {
      const stderr = (cause as { stderr?: string }).stderr?.trim() || String(cause);
      problems.push({
        check: 'bwrap-run',
        message: `bwrap cannot create namespaces here: ${stderr}`,
        fix: machine.root
          ? 'allow user namespaces for this container or VM (e.g. docker run --security-opt seccomp=unconfined)'
          : 'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0',
        fatal: true,
      });
    }
  }
  return { ok: problems.every((p) => !p.fatal), problems };
}
