import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONFIG,
  hostArch,
  sha,
  writeOciLayout,
} from '../../../packages/templates/test/helpers/image.ts';
import {
  hasRegistry,
  type Registry,
  startRegistry,
} from '../../../packages/templates/test/helpers/registry.ts';
import { tgz } from '../../../packages/templates/test/helpers/tar-writer.ts';
import { suiteDir } from '../../../packages/templates/test/helpers/tmp.ts';
import { configHome } from './config-home.ts';

const hasSkopeo = spawnSync('skopeo', ['--version']).status === 0;
if (!hasRegistry || !hasSkopeo)
  console.warn(
    'skipping sbx template pull/push tests: they need docker-registry and skopeo (Debian packages docker-registry, skopeo)',
  );

const LAYERS = [
  tgz([
    { name: 'bin/tool', data: 'v1', mode: 0o755 },
    { name: 'etc/big', data: Buffer.alloc(300_000, 3) },
  ]),
  tgz([{ name: 'etc/motd', data: 'hello' }]),
];
const short = (d: string) => d.slice(7, 19);
const skopeo = (...args: string[]) =>
  execFileSync('skopeo', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe.skipIf(!hasRegistry || !hasSkopeo)(
  'sbx template pull / push (docker-registry on 127.0.0.1)',
  () => {
    let reg: Registry;
    let suite: ReturnType<typeof suiteDir>;
    let image: { manifestDigest: string; configDigest: string };
    let layout: string;
    beforeAll(async () => {
      suite = suiteDir('sbx-cli-registry-');
      reg = await startRegistry(suite.path);
      layout = join(suite.path, 'layout');
      image = writeOciLayout(layout, LAYERS, { refName: 'v1' });
    });
    afterAll(async () => {
      await reg?.stop();
      suite?.remove();
    });

    it('pull REF: progress lines on a pipe, a final line, and inspect --json of the pulled image', async () => {
      await using home = await configHome();
      const ref = `${reg.host}/team/pulled:v1`;
      skopeo('copy', '-q', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${ref}`);

      const pulled = await home.sbx(['template', 'pull', ref]);
      const rootfs = join(
        home.env.DOCKER_CONFIG,
        'sandboxes/image-cache/rootfs',
        image.configDigest.slice(7),
      );
      const kB = (n: number) => `${(n / 1e3).toFixed(1)} kB`;
      const blob = (d: string) => readFileSync(join(layout, 'blobs/sha256', d.slice(7))).length;
      const lines = pulled.stderr.split('\n');
      // Blobs download in parallel, in any order; layers unpack in order.
      expect(lines.slice(0, 3).sort()).toEqual(
        [image.configDigest, ...LAYERS.map(sha)]
          .map((d) => `downloaded ${short(d)} (${kB(blob(d))})`)
          .sort(),
      );
      expect(lines.slice(3)).toEqual([
        `unpacked layer 1/2 ${short(sha(LAYERS[0]!))} (${kB(LAYERS[0]!.length)})`,
        `unpacked layer 2/2 ${short(sha(LAYERS[1]!))} (${kB(LAYERS[1]!.length)})`,
        '',
      ]);
      expect(pulled).toEqual({
        code: 0,
        stdout: `${ref} ${image.manifestDigest} ${rootfs}\n`,
        stderr: expect.any(String),
      });

      const inspect = await home.sbx(['template', 'inspect', ref, '--json']);
      expect(inspect.code).toBe(0);
      expect(JSON.parse(inspect.stdout)).toEqual({
        reference: ref,
        digest: image.manifestDigest,
        id: image.configDigest,
        platform: `linux/${hostArch()}`,
        size: LAYERS[0]!.length + LAYERS[1]!.length,
        layers: 2,
        config: CONFIG,
        rootfs,
      });
      expect(readFileSync(join(rootfs, 'etc/motd'), 'utf8')).toBe('hello');
    });

    it('push REF: the registry serves the same manifest digest', async () => {
      await using home = await configHome();
      expect((await home.sbx(['template', 'import', layout, '--tag', 'local/tool:1'])).code).toBe(
        0,
      );
      const target = `${reg.host}/team/pushed:v1`;
      const pushed = await home.sbx(['template', 'push', 'local/tool:1', target]);
      expect(pushed).toEqual({
        code: 0,
        stdout: `${target} ${image.manifestDigest}\n`,
        stderr: '',
      });
      const seen = JSON.parse(skopeo('inspect', '--tls-verify=false', `docker://${target}`));
      expect(seen.Digest).toBe(image.manifestDigest);
    });

    it.each([
      [
        'pull',
        'a bad reference',
        ['template', 'pull', 'Team/Tool:v1'],
        'invalid image reference "Team/Tool:v1": repository names must be lowercase',
      ],
      [
        'pull',
        'an unreachable registry',
        ['template', 'pull', '127.0.0.1:1/team/tool:v1'],
        'cannot reach registry 127.0.0.1:1 (ECONNREFUSED): is it running, and is the name right?',
      ],
      [
        'push',
        'an unreachable registry',
        ['template', 'push', 'local/tool:1', '127.0.0.1:1/team/tool:v1'],
        'cannot reach registry 127.0.0.1:1 (ECONNREFUSED): is it running, and is the name right?',
      ],
    ])('%s: %s is one line and exit code 1', async (_, __, args, message) => {
      await using home = await configHome();
      await home.sbx(['template', 'import', layout, '--tag', 'local/tool:1']);
      expect(await home.sbx(args)).toEqual({ code: 1, stdout: '', stderr: `sbx: ${message}\n` });
    });
  },
);
