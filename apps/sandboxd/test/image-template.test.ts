import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openStore } from '@sbx/templates';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execInSandbox } from '../src/attach.ts';
import { SandboxdClient } from '../src/client.ts';
import { startDaemonProcess } from '../src/launch.ts';
import { tempHome } from './temp-home.ts';

const has = (tool: string, arg = '--version') => spawnSync(tool, [arg]).status === 0;
const ready =
  has('bwrap') && has('nsenter') && has('umoci', '--version') && has('busybox', '--help');
if (!ready) console.warn('image template test skipped: needs bwrap, nsenter, umoci and busybox');
const isRoot = process.getuid?.() === 0;
if (!isRoot)
  console.warn(
    'image template test: writing image files as the sandbox root is checked as root only',
  );

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
  let home: Awaited<ReturnType<typeof tempHome>>;
  let client: SandboxdClient;
  let digest: string;

  beforeAll(async () => {
    home = await tempHome();
    // Imported by a store without owner shift: the daemon (as root) must not serve this tree.
    const store = openStore({ root: join(home.paths.dockerConfig, 'sandboxes', 'image-cache') });
    const [image] = await store.importArchive(await busyboxLayout(home.root), {
      tag: 'sbx-test/busybox:1',
    });
    digest = image!.digest;
    await startDaemonProcess(home.paths);
    client = new SandboxdClient(home.paths.socket);
  });

  afterAll(async () => {
    await client?.close();
    await home?.[Symbol.asyncDispose]();
  });

  async function startSandbox(name: string) {
    const project = join(home.root, name);
    await mkdir(project);
    const { sandbox } = await client.create({
      agent: 'shell',
      workspaces: [{ path: project, readOnly: false }],
      template: 'sbx-test/busybox:1',
    });
    return client.start(sandbox.name);
  }

  it('starts from the image in the store, as its agent user, and records the digest', async () => {
    const started = await startSandbox('project');
    expect(started.template).toEqual({ ref: 'sbx-test/busybox:1', digest });
    const result = await execInSandbox(
      started,
      { cmd: ['sh', '-c', 'id -un; echo $GREETING; hostname; ls /home'] },
      { capture: true },
    );
    expect(result).toEqual({ exitCode: 0, stdout: 'agent\nfrom-image\nshell-project\nagent\n' });
  });

  it.skipIf(!isRoot)(
    "as root: the sandbox's root owns the image's files, changes them, and keeps the change",
    async () => {
      const started = await startSandbox('edits');
      const write = await execInSandbox(
        started,
        {
          cmd: [
            'sh',
            '-c',
            'echo extra:x:1001:1001::/:/bin/sh >> /etc/passwd; ls -ln /bin/busybox',
          ],
          user: 'root',
        },
        { capture: true },
      );
      expect({ exitCode: write.exitCode, owner: write.stdout.split(/\s+/).slice(2, 4) }).toEqual({
        exitCode: 0,
        owner: ['0', '0'],
      });
      await client.stop(started.name);
      const again = await client.start(started.name);
      const read = await execInSandbox(
        again,
        { cmd: ['sh', '-c', 'cat /etc/passwd; id -u'], user: 'root' },
        { capture: true },
      );
      expect(read).toEqual({
        exitCode: 0,
        stdout:
          'root:x:0:0:root:/root:/bin/sh\nagent:x:1000:1000::/home/agent:/bin/sh\nextra:x:1001:1001::/:/bin/sh\n0\n',
      });
    },
  );
});
