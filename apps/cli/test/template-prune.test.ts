import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SandboxMetadata } from '@sbx/sandboxd';
import { describe, expect, it } from 'vitest';
import { writeOciLayout } from '../../../packages/templates/test/helpers/image.ts';
import { tgz } from '../../../packages/templates/test/helpers/tar-writer.ts';
import { configHome } from './config-home.ts';

/** Writes a one-layer image layout whose etc/motd says `motd`; its digests and blob bytes. */
function image(dir: string, motd: string) {
  const layout = join(dir, `layout-${motd}`);
  const { manifestDigest, configDigest } = writeOciLayout(layout, [
    tgz([{ name: 'etc/motd', data: motd }]),
  ]);
  const blobs = join(layout, 'blobs/sha256');
  const bytes = readdirSync(blobs).reduce((n, f) => n + statSync(join(blobs, f)).size, 0);
  return { layout, digest: manifestDigest, id: configDigest, bytes };
}

async function writeSandbox(dockerConfig: string, name: string, contents: string): Promise<void> {
  const dir = join(dockerConfig, 'sandboxes/vm', name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'metadata.json'), contents);
}

function metadata(name: string, template: SandboxMetadata['template']): string {
  const meta: SandboxMetadata = {
    version: 1,
    name,
    agent: 'shell',
    template,
    workspaces: [{ path: '/work/project', readOnly: false }],
    created: '2026-11-27T12:00:00.000Z',
    status: 'stopped',
  };
  return JSON.stringify(meta);
}

describe('sbx template prune', () => {
  it('keeps untagged images a sandbox uses and removes the unused ones', async () => {
    await using home = await configHome();
    const used = image(home.root, 'used');
    const unused = image(home.root, 'unused');
    for (const [img, tag] of [
      [used, 'team/used:1'],
      [unused, 'team/unused:1'],
    ] as const) {
      expect((await home.sbx(['template', 'import', img.layout, '--tag', tag])).code).toBe(0);
      expect(await home.sbx(['template', 'rm', tag])).toEqual({
        code: 0,
        stdout: `untagged ${tag}\n`,
        stderr: '',
      });
    }
    await writeSandbox(
      home.env.DOCKER_CONFIG,
      'shell-project',
      metadata('shell-project', { ref: 'team/used:1', digest: used.digest }),
    );
    // Being created: no metadata yet, so no image of its own.
    await home.sandbox('shell-new');
    const imageCache = join(home.env.DOCKER_CONFIG, 'sandboxes/image-cache');

    const prune = await home.sbx(['template', 'prune', '--json']);
    expect(prune).toEqual({
      code: 0,
      stdout: `${JSON.stringify({ blobs: 3, rootfs: 1, bytes: unused.bytes })}\n`,
      stderr: '',
    });
    expect(existsSync(join(imageCache, 'rootfs', used.id.slice(7), 'etc/motd'))).toBe(true);
    expect(existsSync(join(imageCache, 'rootfs', unused.id.slice(7)))).toBe(false);
    const inspect = await home.sbx(['template', 'inspect', used.digest, '--json']);
    expect(JSON.parse(inspect.stdout)).toMatchObject({ digest: used.digest, id: used.id });
    expect(await home.sbx(['template', 'inspect', unused.digest])).toEqual({
      code: 1,
      stdout: '',
      stderr: `sbx: image "${unused.digest}" is not in the store: pull, load or import it first\n`,
    });
  }, 60_000);

  it('keeps an image pinned by digest in a sandbox that has not resolved it yet', async () => {
    await using home = await configHome();
    const pinned = image(home.root, 'pinned');
    await home.sbx(['template', 'import', pinned.layout]);
    await writeSandbox(
      home.env.DOCKER_CONFIG,
      'pinned',
      metadata('pinned', { ref: `team/tool@${pinned.digest}`, digest: null }),
    );
    expect((await home.sbx(['template', 'rm', pinned.digest])).code).toBe(0);
    const prune = await home.sbx(['template', 'prune', '--json']);
    expect(JSON.parse(prune.stdout)).toEqual({ blobs: 0, rootfs: 0, bytes: 0 });
  }, 60_000);

  it.each([
    ['not JSON', '{'],
    ['no template', JSON.stringify({ version: 1, name: 'x' })],
    ['a digest that is not sha256', metadata('x', { ref: 'a', digest: 'md5:00' })],
  ])(
    'removes nothing when a sandbox metadata file is unreadable (%s)',
    async (_, contents) => {
      await using home = await configHome();
      const img = image(home.root, 'kept');
      await home.sbx(['template', 'import', img.layout, '--tag', 'team/kept:1']);
      await home.sbx(['template', 'rm', 'team/kept:1']);
      await writeSandbox(home.env.DOCKER_CONFIG, 'x', contents);
      const prune = await home.sbx(['template', 'prune']);
      const file = join(home.env.DOCKER_CONFIG, 'sandboxes/vm/x/metadata.json');
      expect(prune).toEqual({
        code: 1,
        stdout: '',
        stderr: expect.stringMatching(
          new RegExp(
            `^sbx: cannot tell which template ${file} uses \\(.+\\): fix or remove that sandbox; nothing was pruned\\n$`,
          ),
        ),
      });
      const inspect = await home.sbx(['template', 'inspect', img.digest, '--json']);
      expect(JSON.parse(inspect.stdout)).toMatchObject({ digest: img.digest });
    },
    60_000,
  );
});
