import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { openStore, type ProgressEvent } from '../src/store/store.ts';
import {
  CONFIG,
  configFor,
  dockerArchive,
  manifestFor,
  sha,
  writeOciLayout,
} from './helpers/image.ts';
import { tar } from './helpers/tar-writer.ts';
import { listTree, tempDir } from './helpers/tmp.ts';

const base = [
  { name: 'bin/', type: 'dir' as const },
  { name: 'bin/tool', data: '#!/bin/sh\n', mode: 0o755 },
  { name: 'etc/os-release', data: 'ID=test\n' },
];
const upper = [{ name: 'etc/.wh.os-release' }, { name: 'etc/motd', data: 'hello\n' }];
const L1 = gzipSync(tar(base));
const L2 = gzipSync(tar(upper));

const has = (tool: string) => spawnSync(tool, ['--version']).status === 0;
const hasSkopeo = has('skopeo');
const hasUmoci = has('umoci');
if (!hasUmoci) console.warn('skipping umoci-built layout tests: umoci is not installed');
if (!hasSkopeo) console.warn('skipping skopeo-built layout tests: skopeo is not installed');

function storeIn(dir: string) {
  return openStore({ root: join(dir, 'image-cache') });
}

describe('store + archives', () => {
  it('imports an OCI layout directory, unpacks once, lists, removes and prunes', async () => {
    const dir = tempDir();
    const { manifestDigest } = writeOciLayout(join(dir, 'layout'), [L1, L2], {
      refName: 'localhost:5000/team/tool:v1',
    });
    const store = storeIn(dir);
    const [img] = await store.importArchive(join(dir, 'layout'));
    expect(img).toEqual({
      reference: 'localhost:5000/team/tool:v1',
      digest: manifestDigest,
      id: img!.id,
      platform: `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`,
      created: undefined,
      size: L1.length + L2.length,
      layers: 2,
      config: CONFIG,
      rootfs: join(store.root, 'rootfs', img!.id.slice(7)),
    });
    expect(listTree(img!.rootfs)).toEqual(['bin/', 'bin/tool', 'etc/', 'etc/motd']);

    const again = await store.resolve('localhost:5000/team/tool:v1');
    expect(again).toEqual(img);
    expect(await store.resolve(manifestDigest)).toEqual({ ...img, reference: manifestDigest });
    expect((await store.list()).map((i) => [i.reference, i.digest, i.unpacked])).toEqual([
      ['localhost:5000/team/tool:v1', manifestDigest, true],
    ]);

    expect(await store.prune()).toEqual({ blobs: 0, rootfs: 0, bytes: 0 });
    await store.remove('localhost:5000/team/tool:v1');
    await expect(store.resolve('localhost:5000/team/tool:v1')).rejects.toThrow(
      'image "localhost:5000/team/tool:v1" is not in the store: pull, load or import it first',
    );
    const kept = await store.prune({ keep: [manifestDigest] });
    expect(kept.blobs).toBe(0);
    const pruned = await store.prune();
    expect(pruned).toEqual({ blobs: 4, rootfs: 1, bytes: pruned.bytes });
    expect(readdirSync(join(store.root, 'blobs/sha256'))).toEqual([]);
    expect(readdirSync(join(store.root, 'rootfs'))).toEqual([]);
  });

  it('imports a docker save archive with deduplicated layers and its RepoTags', async () => {
    const dir = tempDir();
    const path = join(dir, 'image.tar');
    writeFileSync(path, gzipSync(dockerArchive([L1, L2, L1], ['team/tool:v2', 'other:latest'])));
    const store = storeIn(dir);
    const [img] = await store.importArchive(path);
    expect(img!.layers).toBe(3);
    expect(listTree(img!.rootfs)).toEqual([
      'bin/',
      'bin/tool',
      'etc/',
      'etc/motd',
      'etc/os-release',
    ]);
    expect((await store.list()).map((i) => i.reference)).toEqual([
      'docker.io/library/other:latest',
      'docker.io/team/tool:v2',
    ]);
    expect((await store.resolve('other')).id).toBe(img!.id);
  });

  it('imports the OCI-based docker save format of Docker 25+', async () => {
    const dir = tempDir();
    const layerTar = tar(base);
    const config = configFor([layerTar]);
    const blob = (b: Buffer) => ({ name: `blobs/sha256/${sha(b).slice(7)}`, data: b });
    const manifest = manifestFor(config, [layerTar]);
    const archive = tar([
      { name: 'blobs/', type: 'dir' },
      { name: 'blobs/sha256/', type: 'dir' },
      blob(layerTar),
      blob(config),
      blob(manifest),
      {
        name: 'index.json',
        data: JSON.stringify({
          schemaVersion: 2,
          manifests: [
            {
              mediaType: 'application/vnd.oci.image.manifest.v1+json',
              digest: sha(manifest),
              size: manifest.length,
            },
          ],
        }),
      },
      { name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' },
      {
        name: 'manifest.json',
        data: JSON.stringify([
          { Config: blob(config).name, RepoTags: ['new/docker:25'], Layers: [blob(layerTar).name] },
        ]),
      },
    ]);
    writeFileSync(join(dir, 'save.tar'), archive);
    const [img] = await storeIn(dir).importArchive(join(dir, 'save.tar'));
    expect([img!.reference, img!.id]).toEqual(['docker.io/new/docker:25', sha(config)]);
    expect(listTree(img!.rootfs)).toEqual(['bin/', 'bin/tool', 'etc/', 'etc/os-release']);
  });

  it('keeps an unnamed image under its digest until it is removed by it', async () => {
    const dir = tempDir();
    const { manifestDigest } = writeOciLayout(join(dir, 'layout'), [L1]);
    const store = storeIn(dir);
    const [img] = await store.importArchive(join(dir, 'layout'));
    expect(img!.reference).toBe(manifestDigest);
    expect((await store.list()).map((i) => i.reference)).toEqual([manifestDigest]);
    expect(await store.prune()).toEqual({ blobs: 0, rootfs: 0, bytes: 0 });
    await store.remove(manifestDigest);
    expect((await store.prune()).rootfs).toBe(1);
  });

  it('takes the host platform from a layout listing one manifest per platform', async () => {
    const dir = tempDir();
    const layout = join(dir, 'layout');
    const { manifestDigest } = writeOciLayout(layout, [L1]);
    const other = configFor([L1], { architecture: 's390x' });
    const otherManifest = manifestFor(other, [L1]);
    for (const b of [other, otherManifest])
      writeFileSync(join(layout, 'blobs/sha256', sha(b).slice(7)), b);
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
    const arch = process.arch === 'x64' ? 'amd64' : process.arch;
    index.manifests[0].platform = { os: 'linux', architecture: arch };
    index.manifests.unshift({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: sha(otherManifest),
      size: otherManifest.length,
      platform: { os: 'linux', architecture: 's390x' },
    });
    writeFileSync(join(layout, 'index.json'), JSON.stringify(index));
    const images = await storeIn(dir).importArchive(layout, { tag: 'multi:1' });
    expect(images.map((i) => [i.digest, i.platform])).toEqual([[manifestDigest, `linux/${arch}`]]);
  });

  it('names an import with --tag and shares one unpack between concurrent resolves', async () => {
    const dir = tempDir();
    writeOciLayout(join(dir, 'layout'), [L1]);
    const store = storeIn(dir);
    const [img] = await store.importArchive(join(dir, 'layout'), { tag: 'mine:1' });
    expect(img!.reference).toBe('docker.io/library/mine:1');
    rmSync(img!.rootfs, { recursive: true });
    const seen: ProgressEvent[][] = [[], []];
    const [a, b] = await Promise.all(
      [0, 1].map((i) => store.resolve('mine:1', (p) => seen[i]!.push(p))),
    );
    expect(a!.rootfs).toBe(b!.rootfs);
    // Exactly one of the two callers did the unpack; the other waited for it.
    expect(seen.map((s) => s.some((p) => p.phase === 'unpack')).sort()).toEqual([false, true]);
    expect(readdirSync(store.tmpDir)).toEqual([]);
  });

  it.each([
    [
      'a layer blob that does not match its digest',
      (m: Map<string, Buffer>) => m.set(sha(L2), gzipSync(tar([{ name: 'evil', data: 'x' }]))),
      'SBX_TEMPLATES_DIGEST_MISMATCH',
      `blobs/sha256/${sha(L2).slice(7)} has digest`,
    ],
    [
      'a manifest pointing at a missing blob',
      (m: Map<string, Buffer>) => m.delete(sha(L2)),
      'SBX_TEMPLATES_BLOB_MISSING',
      `the archive does not contain blob ${sha(L2)}`,
    ],
  ])('refuses %s', async (_name, tamper, code, message) => {
    const dir = tempDir();
    writeOciLayout(join(dir, 'layout'), [L1, L2], { refName: 'x/y:z', tamper });
    const store = storeIn(dir);
    const err = await store.importArchive(join(dir, 'layout')).catch((e: unknown) => e);
    expect((err as { code: string }).code).toBe(code);
    expect((err as Error).message).toContain(message);
    expect(await store.list()).toEqual([]);
    expect(readdirSync(join(store.root, 'rootfs'))).toEqual([]);
  });

  it('refuses an archive whose layer escapes, leaving no tag, tree or temp file', async () => {
    const dir = tempDir();
    const evil = gzipSync(
      tar([
        { name: 'ok', data: '1' },
        { name: '../../../../escape', data: 'x' },
      ]),
    );
    const path = join(dir, 'evil.tar');
    writeFileSync(path, dockerArchive([evil], ['evil:latest']));
    const store = storeIn(dir);
    await expect(store.importArchive(path)).rejects.toThrow(
      `refused layer 1 of 1 (${sha(evil)}), entry "../../../../escape": ".." climbs above the root; the image is not safe to use`,
    );
    expect(await store.list()).toEqual([]);
    expect(readdirSync(join(store.root, 'rootfs'))).toEqual([]);
    expect(readdirSync(store.tmpDir)).toEqual([]);
    expect(existsSync(join(dir, 'escape'))).toBe(false);
  });

  it.each([
    [
      'not a tar',
      Buffer.from('plain text, not an archive'.repeat(30)),
      'it is not a valid tar archive',
    ],
    [
      'a tar without an image',
      tar([{ name: 'readme', data: 'hi' }]),
      'is neither a docker save archive (no manifest.json) nor an OCI image layout',
    ],
  ])('says what is wrong with %s', async (_n, bytes, message) => {
    const dir = tempDir();
    const path = join(dir, 'x.tar');
    writeFileSync(path, bytes);
    await expect(storeIn(dir).importArchive(path)).rejects.toThrow(message);
  });

  it.skipIf(!hasSkopeo)(
    'imports OCI layouts and OCI archives written by skopeo (gzip and zstd)',
    async () => {
      const dir = tempDir();
      writeFileSync(join(dir, 'src.tar'), dockerArchive([L1, L2], ['src:1']));
      const store = storeIn(dir);
      const copy = (...args: string[]) =>
        execFileSync('skopeo', ['copy', '-q', ...args], { stdio: 'pipe' });
      copy(`docker-archive:${join(dir, 'src.tar')}`, `oci:${join(dir, 'gz')}:v1`);
      copy(
        '--dest-compress-format',
        'zstd',
        `docker-archive:${join(dir, 'src.tar')}`,
        `oci:${join(dir, 'zst')}:v1`,
      );
      copy(`oci:${join(dir, 'gz')}:v1`, `oci-archive:${join(dir, 'oci.tar')}:v1`);
      const results = [];
      for (const [src, tag] of [
        ['gz', 'from-dir:1'],
        ['zst', 'zstd:1'],
        ['oci.tar', 'from-tar:1'],
      ] as const) {
        const [img] = await store.importArchive(join(dir, src), { tag });
        results.push(listTree(img!.rootfs));
        expect(img!.config).toEqual(CONFIG);
      }
      expect(results).toEqual([0, 1, 2].map(() => ['bin/', 'bin/tool', 'etc/', 'etc/motd']));
      const zstdManifest = JSON.parse(
        readFileSync(join(store.blobs.path((await store.resolve('zstd:1')).digest))).toString(),
      );
      expect(zstdManifest.layers.map((l: { mediaType: string }) => l.mediaType)).toEqual(
        [0, 1].map(() => 'application/vnd.oci.image.layer.v1.tar+zstd'),
      );
    },
  );

  it.skipIf(!hasUmoci)(
    'imports a two-layer image built with umoci, whiteout included',
    async () => {
      const dir = tempDir();
      const img = join(dir, 'img');
      const umoci = (...args: string[]) => execFileSync('umoci', args, { stdio: 'pipe' });
      umoci('init', '--layout', img);
      umoci('new', '--image', `${img}:v1`);
      umoci('unpack', '--rootless', '--image', `${img}:v1`, join(dir, 'b1'));
      mkdirSync(join(dir, 'b1/rootfs/opt'));
      writeFileSync(join(dir, 'b1/rootfs/opt/hello'), 'hello');
      writeFileSync(join(dir, 'b1/rootfs/opt/gone'), 'soon deleted');
      symlinkSync('opt', join(dir, 'b1/rootfs/o'));
      umoci('repack', '--image', `${img}:v1`, join(dir, 'b1'));
      umoci('unpack', '--rootless', '--image', `${img}:v1`, join(dir, 'b2'));
      rmSync(join(dir, 'b2/rootfs/opt/gone'));
      mkdirSync(join(dir, 'b2/rootfs/etc'));
      writeFileSync(join(dir, 'b2/rootfs/etc/x'), 'x');
      umoci('repack', '--image', `${img}:v1`, join(dir, 'b2'));
      umoci('config', '--image', `${img}:v1`, '--config.user', '1000', '--config.env', 'A=1');
      const [image] = await storeIn(dir).importArchive(img, { tag: 'umoci:v1' });
      expect(image!.layers).toBe(2);
      expect(listTree(image!.rootfs)).toEqual(['etc/', 'etc/x', 'o -> opt', 'opt/', 'opt/hello']);
      expect([image!.config.User, image!.config.Env]).toEqual(['1000', ['A=1']]);
    },
  );
});
