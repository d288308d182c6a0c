import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type Entry, tar } from './tar-writer.ts';

export const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export const CONFIG = {
  User: 'agent',
  Env: ['PATH=/usr/bin:/bin', 'HOME=/home/agent'],
  WorkingDir: '/work',
  Entrypoint: ['/bin/sh'],
  Cmd: ['-c', 'echo hi'],
  Labels: { 'org.example.team': 'sbx' },
};

/** An OCI config for layers given as (possibly gzipped) tar bytes. */
export function configFor(layers: Buffer[], extra: object = {}): Buffer {
  const diffIds = layers.map((l) => sha(l[0] === 0x1f && l[1] === 0x8b ? gunzipSync(l) : l));
  return Buffer.from(
    JSON.stringify({
      architecture: hostArch(),
      os: 'linux',
      config: CONFIG,
      rootfs: { type: 'layers', diff_ids: diffIds },
      ...extra,
    }),
  );
}

export function hostArch(): string {
  return process.arch === 'x64' ? 'amd64' : process.arch;
}

export function manifestFor(config: Buffer, layers: Buffer[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: sha(config),
        size: config.length,
      },
      layers: layers.map((l) => ({
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        digest: sha(l),
        size: l.length,
      })),
    }),
  );
}

/**
 * Writes an OCI image layout directory (shared by this package's tests and bench and by the CLI's
 * tests); `configExtra` replaces top-level config fields (`{ config: { Env } }` for an image
 * without `User`); `tamper` edits blobs after their digests are taken.
 */
export function writeOciLayout(
  dir: string,
  layers: Buffer[],
  options: {
    refName?: string;
    configExtra?: object;
    tamper?: (blobs: Map<string, Buffer>) => void;
  } = {},
): { manifestDigest: string; configDigest: string } {
  const config = configFor(layers, options.configExtra);
  const manifest = manifestFor(config, layers);
  const blobs = new Map<string, Buffer>([
    [sha(config), config],
    [sha(manifest), manifest],
    ...layers.map((l) => [sha(l), l] as [string, Buffer]),
  ]);
  options.tamper?.(blobs);
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const [d, b] of blobs) writeFileSync(join(dir, 'blobs', 'sha256', d.slice(7)), b);
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const annotations = options.refName
    ? { 'org.opencontainers.image.ref.name': options.refName }
    : undefined;
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: sha(manifest),
          size: manifest.length,
          annotations,
        },
      ],
    }),
  );
  return { manifestDigest: sha(manifest), configDigest: sha(config) };
}

/** A legacy `docker save` archive (Docker < 25): layer tars by directory, the second layer a symlink dedup. */
export function dockerArchive(layers: Buffer[], repoTags: string[]): Buffer {
  const config = configFor(layers);
  const entries: Entry[] = [];
  const paths: string[] = [];
  const seen = new Map<string, string>();
  layers.forEach((l, i) => {
    const dir = `layer${i}`;
    const path = `${dir}/layer.tar`;
    paths.push(path);
    entries.push({ name: `${dir}/`, type: 'dir' }, { name: `${dir}/VERSION`, data: '1.0' });
    const prev = seen.get(sha(l));
    if (prev) entries.push({ name: path, type: 'symlink', linkname: `../${prev}` });
    else entries.push({ name: path, data: l });
    seen.set(sha(l), path);
  });
  const configName = `${sha(config).slice(7)}.json`;
  entries.push({ name: configName, data: config });
  entries.push({
    name: 'manifest.json',
    data: JSON.stringify([{ Config: configName, RepoTags: repoTags, Layers: paths }]),
  });
  return tar(entries);
}

/** A tar of a tiny root filesystem built from busybox-static: bin/busybox and a few applet links. */
export function busyboxRootfs(dir: string): Buffer {
  const root = join(dir, 'busybox-root');
  mkdirSync(join(root, 'bin'), { recursive: true });
  mkdirSync(join(root, 'etc'));
  execFileSync('cp', ['/bin/busybox', join(root, 'bin/busybox')]);
  for (const a of ['sh', 'ls', 'cat', 'echo'])
    execFileSync('ln', ['-s', 'busybox', join(root, 'bin', a)]);
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  return execFileSync('tar', ['-C', root, '--owner=0', '--group=0', '-cf', '-', '.'], {
    maxBuffer: 1 << 26,
  });
}
