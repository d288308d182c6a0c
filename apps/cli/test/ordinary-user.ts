import { execFileSync, spawnSync } from 'node:child_process';

const NAME = 'sbx-cli-e2e';

/** An ordinary (non-root) user this test creates when run as root, with subordinate ids. */
export function ordinaryUser(): { name: string; uid: number; gid: number } {
  if (spawnSync('id', ['-u', NAME]).status !== 0) {
    execFileSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', NAME]);
  }
  const uid = Number(execFileSync('id', ['-u', NAME], { encoding: 'utf8' }));
  const gid = Number(execFileSync('id', ['-g', NAME], { encoding: 'utf8' }));
  return { name: NAME, uid, gid };
}

/** Removes the user again. */
export function removeOrdinaryUser(): void {
  spawnSync('userdel', [NAME]);
}

/** The command prefix that runs a program as that user (no capabilities, own groups). */
export function asUser(user: { uid: number; gid: number }): string[] {
  return ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--'];
}
