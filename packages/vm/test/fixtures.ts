import { execFileSync } from 'node:child_process';
import { chownSync, copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { imageOwnerShift } from '../src/index.ts';

/**
 * A tiny image root filesystem from busybox-static: /bin/busybox, its applet links, and an
 * /etc/passwd with `agent` (1000). Owned like @sbx/templates would unpack it for this user
 * (`shift: false`: as a root unpack without `imageOwnerShift()`).
 */
export function busyboxRootfs(dir: string, options: { shift?: boolean } = {}): string {
  const root = join(dir, 'rootfs');
  for (const sub of [
    'bin',
    'dev',
    'etc',
    'home/agent',
    'proc',
    'root',
    'tmp',
    'usr/local/bin',
    'var/www',
  ]) {
    mkdirSync(join(root, sub), { recursive: true });
  }
  copyFileSync('/usr/bin/busybox', join(root, 'bin/busybox'));
  const applets = execFileSync('/usr/bin/busybox', ['--list']).toString().trim().split('\n');
  for (const applet of applets)
    if (applet !== 'busybox') symlinkSync('busybox', join(root, 'bin', applet));
  writeFileSync(
    join(root, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\nagent:x:1000:1000:agent:/home/agent:/bin/sh\n',
  );
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nagent:x:1000:\n');
  writeFileSync(join(root, 'var/www/index.html'), 'shared loopback\n');
  const shift = options.shift === false ? undefined : imageOwnerShift();
  if (shift) {
    execFileSync('chown', ['-R', '-h', `${shift.uid}:${shift.gid}`, root]);
    chownSync(join(root, 'home/agent'), shift.uid + 1000, shift.gid + 1000);
  }
  return root;
}
