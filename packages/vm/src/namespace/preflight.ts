import { execFile } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { release, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import type { PreflightProblem, PreflightReport } from '../types.ts';
import { HOST_PATH } from './launch.ts';
import { readSubordinateRange } from './subid.ts';

const run = promisify(execFile);

/** Finds an executable on PATH (plus the sbin directories, where Debian puts some tools). */
export function which(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...HOST_PATH.split(delimiter)];
  for (const dir of dirs) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {}
  }
  return undefined;
}

function sysctl(name: string): string | undefined {
  try {
    return readFileSync(`/proc/sys/${name.replaceAll('.', '/')}`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Everything the namespace driver needs from the machine, each with the command that fixes it. */
export async function preflight(): Promise<PreflightReport> {
  const problems: PreflightProblem[] = [];
  const add = (check: string, message: string, fix: string, fatal = true) =>
    problems.push({ check, message, fix, fatal });
  const asRoot = process.getuid?.() === 0;

  if (process.platform !== 'linux') {
    add(
      'platform',
      `the namespace driver needs Linux, this is ${process.platform}`,
      'run sbx on Linux',
    );
    return { ok: false, problems };
  }
  if (!which('bwrap')) {
    add('bwrap', 'bubblewrap (bwrap) is not installed', 'sudo apt-get install -y bubblewrap');
  }
  for (const tool of ['nsenter', 'setpriv', 'mount']) {
    if (!which(tool))
      add(tool, `${tool} (util-linux) is not installed`, 'sudo apt-get install -y util-linux');
  }
  if (sysctl('user.max_user_namespaces') === '0') {
    add(
      'user.max_user_namespaces',
      'user namespaces are disabled (user.max_user_namespaces = 0)',
      'sudo sysctl -w user.max_user_namespaces=28633',
    );
  }
  if (!asRoot && sysctl('kernel.unprivileged_userns_clone') === '0') {
    add(
      'kernel.unprivileged_userns_clone',
      'unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)',
      'sudo sysctl -w kernel.unprivileged_userns_clone=1',
    );
  }
  if (!asRoot && sysctl('kernel.apparmor_restrict_unprivileged_userns') === '1') {
    add(
      'kernel.apparmor_restrict_unprivileged_userns',
      'AppArmor (Ubuntu >= 23.10) forbids unprivileged user namespaces to programs without a profile',
      'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0',
    );
  }
  const [major = 0, minor = 0] = release().split('.').map(Number);
  if (major < 5 || (major === 5 && minor < 11)) {
    add(
      'kernel',
      `kernel ${release()} cannot mount overlayfs inside a user namespace (needs >= 5.11)`,
      'upgrade the kernel to 5.11 or later',
    );
  }
  if (!asRoot) {
    const { username, uid } = userInfo();
    const sub =
      readSubordinateRange('/etc/subuid', username, uid) &&
      readSubordinateRange('/etc/subgid', username, uid);
    if (!sub || !which('newuidmap') || !which('newgidmap')) {
      add(
        'subordinate-ids',
        `no subordinate uid/gid range for ${username} (or newuidmap missing): sandbox users run as root inside and images' other users are unmapped`,
        `sudo apt-get install -y uidmap && sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${username}`,
        false,
      );
    }
  }
  if (problems.every((p) => !p.fatal) && which('bwrap')) {
    try {
      await run('bwrap', ['--unshare-all', '--ro-bind', '/', '/', '--', 'true'], {
        timeout: 10_000,
      });
    } catch (cause) {
      const stderr = (cause as { stderr?: string }).stderr?.trim() ?? String(cause);
      add(
        'bwrap-run',
        `bwrap cannot create namespaces here: ${stderr}`,
        'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0',
      );
    }
  }
  return { ok: problems.every((p) => !p.fatal), problems };
}
