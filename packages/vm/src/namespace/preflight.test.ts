import { describe, expect, it } from 'vitest';
import { checkMachine, type Machine } from './preflight.ts';

const healthy: Machine = {
  platform: 'linux',
  root: false,
  user: 'alice',
  kernel: '6.8.0-45-generic',
  tools: Object.fromEntries(
    ['bwrap', 'nsenter', 'setpriv', 'mount', 'script', 'newuidmap', 'newgidmap'].map((t) => [
      t,
      true,
    ]),
  ),
  sysctl: {
    'user.max_user_namespaces': '63000',
    'kernel.unprivileged_userns_clone': undefined,
    'kernel.apparmor_restrict_unprivileged_userns': '0',
  },
  subordinateIds: true,
};

const sysctl = (name: string, value: string) => ({
  ...healthy,
  sysctl: { ...healthy.sysctl, [name]: value },
});
const without = (tool: string) => ({ ...healthy, tools: { ...healthy.tools, [tool]: false } });

describe('checkMachine', () => {
  it('finds nothing on a healthy machine', () => {
    expect(checkMachine(healthy)).toEqual([]);
  });

  it.each([
    ['bwrap missing', without('bwrap'), 'bwrap', 'sudo apt-get install -y bubblewrap', true],
    ['nsenter missing', without('nsenter'), 'nsenter', 'sudo apt-get install -y util-linux', true],
    [
      'user namespaces off',
      sysctl('user.max_user_namespaces', '0'),
      'user.max_user_namespaces',
      'sudo sysctl -w user.max_user_namespaces=28633',
      true,
    ],
    [
      'Debian unprivileged clone off',
      sysctl('kernel.unprivileged_userns_clone', '0'),
      'kernel.unprivileged_userns_clone',
      'sudo sysctl -w kernel.unprivileged_userns_clone=1',
      true,
    ],
    [
      "Ubuntu's AppArmor restriction",
      sysctl('kernel.apparmor_restrict_unprivileged_userns', '1'),
      'kernel.apparmor_restrict_unprivileged_userns',
      'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0',
      true,
    ],
    [
      'old kernel',
      { ...healthy, kernel: '5.10.0-28-amd64' },
      'kernel',
      'upgrade the kernel to 5.11 or later',
      true,
    ],
    [
      'no /etc/subuid range',
      { ...healthy, subordinateIds: false },
      'subordinate-ids',
      'sudo apt-get install -y uidmap && sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 alice',
      false,
    ],
  ])('%s', (_, machine, check, fix, fatal) => {
    expect(checkMachine(machine).map((p) => [p.check, p.fix, p.fatal])).toEqual([
      [check, fix, fatal],
    ]);
  });

  it('as root, ignores the restrictions that only bind unprivileged users', () => {
    const machine = {
      ...healthy,
      root: true,
      subordinateIds: false,
      sysctl: {
        ...healthy.sysctl,
        'kernel.unprivileged_userns_clone': '0',
        'kernel.apparmor_restrict_unprivileged_userns': '1',
      },
    };
    expect(checkMachine(machine)).toEqual([]);
  });

  it('stops at the platform off Linux', () => {
    expect(checkMachine({ ...healthy, platform: 'darwin' })).toEqual([
      {
        check: 'platform',
        message: 'the namespace driver needs Linux, this is darwin',
        fix: 'run sbx on Linux',
        fatal: true,
      },
    ]);
  });
});
