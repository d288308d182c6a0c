import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openStore } from '@sbx/templates';
import { describe, expect, it } from 'vitest';
import { execInSandbox } from '../src/attach.ts';
import { SandboxdClient } from '../src/client.ts';
import { startDaemonProcess } from '../src/launch.ts';
import { tempHome } from './temp-home.ts';

const has = (tool: string, arg = '--version') => spawnSync(tool, [arg]).status === 0;
const ready =
  has('bwrap') && has('nsenter') && has('umoci', '--version') && has('busybox', '--help');
if (!ready) console.warn('image template test skipped: needs bwrap, nsenter, umoci and busybox');

/** An OCI layout holding a busybox image with an `agent` user, built with umoci. */
async function busyboxLayout(dir: string): Promise<string> {
  const layout = join(dir, 'layout');
  const bundle = join(dir, 'bundle');
  const rootless = process.getuid?.() === 0 ? [] : ['--rootless'];
  execFileSync('umoci', ['init', '--layout', layout]);
  execFileSync('umoci', ['new', '--image', `${layout}:latest`]);
  execFileSync('umoci', ['unpack', ...rootless, '--image', `${layout}:latest`, bundle]);
  const root = join(bundle, 'rootfs');
  for (const d of ['bin', 'etc', 'home/agent', 'tmp'])
    await mkdir(join(root, d), { recursive: true });
  execFileSync('cp', [
    execFileSync('which', ['busybox'], { encoding: 'utf8' }).trim(),
    join(root, 'bin/busybox'),
  ]);
  for (const applet of ['sh', 'cat', 'id', 'echo', 'ls', 'sleep', 'env', 'hostname']) {
    await symlink('busybox', join(root, 'bin', applet));
  }
  await writeFile(
    join(root, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\nagent:x:1000:1000::/home/agent:/bin/sh\n',
  );
  await writeFile(join(root, 'etc/group'), 'root:x:0:\nagent:x:1000:\n');
  execFileSync('umoci', ['repack', '--image', `${layout}:latest`, bundle]);
  execFileSync('umoci', [
    'config',
    '--image',
    `${layout}:latest`,
    '--config.env',
    'GREETING=from-image',
  ]);
  return layout;
}

describe.skipIf(!ready)('a sandbox on an image template', { timeout: 180_000 }, () => {
  it('starts from the image in the store, as its agent user, and records the digest', async () => {
    await using home = await tempHome();
    const project = join(home.root, 'project');
    await mkdir(project);
    const store = openStore({ root: join(home.paths.dockerConfig, 'sandboxes', 'image-cache') });
    const [image] = await store.importArchive(await busyboxLayout(home.root), {
      tag: 'sbx-test/busybox:1',
    });
    await startDaemonProcess(home.paths);
    const client = new SandboxdClient(home.paths.socket);
    try {
      const { sandbox } = await client.create({
        agent: 'shell',
        workspaces: [{ path: project, readOnly: false }],
        template: 'sbx-test/busybox:1',
      });
      const started = await client.start(sandbox.name);
      expect(started.template).toEqual({ ref: 'sbx-test/busybox:1', digest: image!.digest });
      const result = await execInSandbox(
        started,
        { cmd: ['sh', '-c', 'id -un; echo $GREETING; hostname; ls /home'] },
        { capture: true },
      );
      expect(result).toEqual({ exitCode: 0, stdout: 'agent\nfrom-image\nshell-project\nagent\n' });
    } finally {
      await client.close();
    }
  });
});
