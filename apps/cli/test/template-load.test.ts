import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  canRunDockerd,
  type Dockerd,
  startDockerd,
} from '../../../packages/templates/test/helpers/dockerd.ts';
import { busyboxRootfs } from '../../../packages/templates/test/helpers/image.ts';
import { suiteDir } from '../../../packages/templates/test/helpers/tmp.ts';
import { configHome } from './config-home.ts';

if (!canRunDockerd)
  console.warn('skipping sbx template load tests: they need root, dockerd and the docker CLI');

describe.skipIf(!canRunDockerd)('sbx template load (a private dockerd)', () => {
  let dockerd: Dockerd;
  let suite: ReturnType<typeof suiteDir>;
  beforeAll(async () => {
    suite = suiteDir('sbx-cli-dockerd-');
    dockerd = await startDockerd();
    writeFileSync(join(suite.path, 'rootfs.tar'), busyboxRootfs(suite.path));
    dockerd.docker(
      'import',
      '--change',
      'USER 1000',
      '--change',
      'LABEL team=sbx',
      join(suite.path, 'rootfs.tar'),
      'sbx-cli-test:v1',
    );
  }, 90_000);
  afterAll(async () => {
    await dockerd?.stop();
    suite?.remove();
  }, 30_000);

  it('streams the image from the engine DOCKER_HOST names into the store', async () => {
    await using home = await configHome();
    const env = { DOCKER_HOST: dockerd.host };
    const id = dockerd.docker('image', 'inspect', '--format', '{{.Id}}', 'sbx-cli-test:v1').trim();
    const loaded = await home.sbx(['template', 'load', 'sbx-cli-test:v1'], { env });
    const rootfs = join(home.env.DOCKER_CONFIG, 'sandboxes/image-cache/rootfs', id.slice(7));
    const inspect = JSON.parse(
      (await home.sbx(['template', 'inspect', 'sbx-cli-test:v1', '--json'])).stdout,
    );
    expect(loaded).toEqual({
      code: 0,
      stdout: `sbx-cli-test:v1 ${inspect.digest} ${rootfs}\n`,
      stderr: expect.stringMatching(/^unpacked layer 1\/1 [0-9a-f]{12} \(\d+\.\d (kB|MB)\)\n$/),
    });
    expect(inspect).toMatchObject({
      reference: 'docker.io/library/sbx-cli-test:v1',
      id,
      layers: 1,
      config: { User: '1000', Labels: { team: 'sbx' } },
      rootfs,
    });
    expect(readFileSync(join(rootfs, 'bin/busybox'))).toEqual(readFileSync('/bin/busybox'));
  }, 60_000);

  it.each([
    [
      'an image the engine lacks',
      (host: string) => ({ DOCKER_HOST: host }),
      (host: string) =>
        `the Docker Engine at ${host.slice(7)} has no image "nothere:v1": build or pull it there first`,
    ],
    [
      'an engine that is not running',
      () => ({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' }),
      () =>
        'cannot reach the Docker Engine at /nonexistent/docker.sock: is it running? (set DOCKER_HOST to use another)',
    ],
  ])('says so in one line with exit code 1: %s', async (_, env, message) => {
    await using home = await configHome();
    expect(await home.sbx(['template', 'load', 'nothere:v1'], { env: env(dockerd.host) })).toEqual({
      code: 1,
      stdout: '',
      stderr: `sbx: ${message(dockerd.host)}\n`,
    });
  });
});
