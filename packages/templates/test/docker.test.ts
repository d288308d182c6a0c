import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/store/store.ts';
import { canRunDockerd, type Dockerd, startDockerd } from './helpers/dockerd.ts';
import { busyboxRootfs } from './helpers/image.ts';
import { listTree, tempDir } from './helpers/tmp.ts';

if (!canRunDockerd)
  console.warn('skipping Docker Engine tests: they need root, dockerd and the docker CLI');

describe.skipIf(!canRunDockerd)('loadFromDocker (a private dockerd)', () => {
  let dockerd: Dockerd;
  let work: string;
  beforeAll(async () => {
    dockerd = await startDockerd();
  }, 90_000);
  afterAll(async () => {
    await dockerd?.stop();
  }, 30_000);

  it('streams an image the engine has into the store and unpacks it', async () => {
    work = tempDir();
    writeFileSync(join(work, 'rootfs.tar'), busyboxRootfs(work));
    dockerd.docker(
      'import',
      '--change',
      'ENV PATH=/bin',
      '--change',
      'USER 1000',
      '--change',
      'WORKDIR /tmp',
      '--change',
      'LABEL team=sbx',
      '--change',
      'CMD ["/bin/sh"]',
      join(work, 'rootfs.tar'),
      'sbx-test:v1',
    );
    const store = openStore({ root: join(work, 'cache') });
    const phases: string[] = [];
    const img = await store.loadFromDocker('sbx-test:v1', {
      env: { DOCKER_HOST: dockerd.host },
      onProgress: (p) => phases.push(p.phase),
    });
    expect([...new Set(phases)]).toEqual(['read', 'unpack', 'done']);
    expect(img.reference).toBe('docker.io/library/sbx-test:v1');
    expect(img.id).toBe(
      dockerd.docker('image', 'inspect', '--format', '{{.Id}}', 'sbx-test:v1').trim(),
    );
    expect(img.config).toEqual({
      User: '1000',
      Env: ['PATH=/bin'],
      WorkingDir: '/tmp',
      Entrypoint: null,
      Cmd: ['/bin/sh'],
      Labels: { team: 'sbx' },
    });
    expect(listTree(img.rootfs)).toEqual([
      'bin/',
      'bin/busybox',
      'bin/cat -> busybox',
      'bin/echo -> busybox',
      'bin/ls -> busybox',
      'bin/sh -> busybox',
      'etc/',
      'etc/passwd',
    ]);
    expect(readFileSync(join(img.rootfs, 'bin/busybox'))).toEqual(readFileSync('/bin/busybox'));
    expect((await store.resolve('sbx-test:v1')).rootfs).toBe(img.rootfs);
  }, 60_000);

  it('says clearly when the engine lacks the image or cannot be reached', async () => {
    const store = openStore({ root: join(tempDir(), 'cache') });
    await expect(
      store.loadFromDocker('nothere:v1', { env: { DOCKER_HOST: dockerd.host } }),
    ).rejects.toThrow(
      `the Docker Engine at ${dockerd.host.slice(7)} has no image "nothere:v1": build or pull it there first`,
    );
    await expect(
      store.loadFromDocker('x', { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } }),
    ).rejects.toThrow(
      'cannot reach the Docker Engine at /nonexistent/docker.sock: is it running? (set DOCKER_HOST to use another)',
    );
  });
});
