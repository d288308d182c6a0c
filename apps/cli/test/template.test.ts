import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { writeOciLayout } from '../../../packages/templates/test/helpers/image.ts';
import { runSbx } from './run-sbx.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** An OCI image layout with one layer holding etc/motd (a real tar of real files). */
function layout(dir: string): { digest: string; id: string } {
  mkdirSync(join(dir, 'root/etc'), { recursive: true });
  writeFileSync(join(dir, 'root/etc/motd'), 'hi\n');
  const layer = gzipSync(execFileSync('tar', ['-C', join(dir, 'root'), '-cf', '-', 'etc']));
  const { manifestDigest, configDigest } = writeOciLayout(join(dir, 'layout'), [layer], {
    configExtra: { config: { User: 'agent', Env: ['A=1'], Labels: { team: 'sbx' } } },
  });
  return { digest: manifestDigest, id: configDigest };
}

describe('sbx template', () => {
  it('imports, lists, inspects, removes and prunes templates in $DOCKER_CONFIG/sandboxes/image-cache', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sbx-cli-template-'));
    dirs.push(dir);
    const { digest, id } = layout(dir);
    const env = { DOCKER_CONFIG: join(dir, 'docker') };
    const rootfs = join(dir, 'docker/sandboxes/image-cache/rootfs', id.slice(7));

    const imported = await runSbx(
      ['template', 'import', join(dir, 'layout'), '--tag', 'team/tool:1'],
      { env },
    );
    expect(imported).toEqual({
      code: 0,
      stdout: `team/tool:1 ${digest} ${rootfs}\n`,
      stderr: expect.any(String),
    });

    const ls = await runSbx(['template', 'ls', '--json'], { env });
    expect(
      JSON.parse(ls.stdout).map((i: { reference: string; digest: string; unpacked: boolean }) => [
        i.reference,
        i.digest,
        i.unpacked,
      ]),
    ).toEqual([['docker.io/team/tool:1', digest, true]]);

    const inspect = await runSbx(['template', 'inspect', 'team/tool:1', '--json'], { env });
    expect(JSON.parse(inspect.stdout)).toEqual({
      reference: 'docker.io/team/tool:1',
      digest,
      id,
      platform: `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`,
      size: expect.any(Number),
      layers: 1,
      config: {
        User: 'agent',
        Env: ['A=1'],
        WorkingDir: '',
        Entrypoint: null,
        Cmd: null,
        Labels: { team: 'sbx' },
      },
      rootfs,
    });

    expect(await runSbx(['template', 'rm', 'team/tool:1'], { env })).toEqual({
      code: 0,
      stdout: 'untagged team/tool:1\n',
      stderr: '',
    });
    const prune = await runSbx(['template', 'prune', '--json'], { env });
    expect(JSON.parse(prune.stdout)).toEqual({ blobs: 3, rootfs: 1, bytes: expect.any(Number) });
  }, 60_000);

  it('reports a missing template in one line with exit code 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sbx-cli-template-'));
    dirs.push(dir);
    const result = await runSbx(['template', 'inspect', 'nothere:1'], {
      env: { DOCKER_CONFIG: dir },
    });
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'sbx: image "nothere:1" is not in the store: pull, load or import it first\n',
    });
  }, 30_000);
});
