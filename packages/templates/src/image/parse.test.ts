import { describe, expect, it } from 'vitest';
import { parseConfig, parseIndex, parseManifest, selectPlatform } from './parse.ts';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const desc = (c: string, size = 10) => ({
  mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
  digest: D(c),
  size,
});
const manifest = (o: object) =>
  Buffer.from(JSON.stringify({ schemaVersion: 2, config: desc('c'), layers: [desc('a')], ...o }));

describe('parseManifest', () => {
  it.each([
    [
      { schemaVersion: 1 },
      'invalid image manifest: schemaVersion 1 is not 2 (schema 1 images are not supported)',
    ],
    [{ layers: undefined }, 'invalid image manifest: it has no layers list'],
    [
      { layers: Array.from({ length: 129 }, () => desc('a')) },
      'invalid image manifest: it has 129 layers, more than the 128 an image may have',
    ],
    [
      { config: desc('c', 2 ** 30) },
      'invalid image manifest: its config is declared as 1073741824 bytes, more than the 8388608 allowed',
    ],
    [
      { layers: [{ digest: 'sha256:short', size: 1 }] },
      'invalid image manifest: descriptor digest "sha256:short" is not sha256:<64 hex>',
    ],
    [
      { layers: [{ digest: D('a'), size: -1 }] },
      `invalid image manifest: descriptor ${D('a')} has an invalid size -1`,
    ],
    [
      { layers: [{ digest: D('a'), size: 2 ** 60 }] },
      `invalid image manifest: descriptor ${D('a')} has an invalid size ${2 ** 60}`,
    ],
  ])('refuses %j', (o, message) => {
    expect(() => parseManifest(manifest(o))).toThrow(message);
  });

  it('refuses a document that is not JSON', () => {
    expect(() => parseManifest(Buffer.from('{'))).toThrow(/^invalid image manifest: not JSON/);
  });
});

describe('parseConfig', () => {
  it('reads the fields a sandbox needs and defaults the rest', () => {
    const cfg = parseConfig(
      Buffer.from(
        JSON.stringify({
          architecture: 'amd64',
          os: 'linux',
          config: { Env: ['A=1'], Labels: { a: 'b', n: 1 } },
          rootfs: { diff_ids: [D('d')] },
        }),
      ),
    );
    expect(cfg).toEqual({
      architecture: 'amd64',
      os: 'linux',
      config: {
        User: '',
        Env: ['A=1'],
        WorkingDir: '',
        Entrypoint: null,
        Cmd: null,
        Labels: { a: 'b' },
      },
      diffIds: [D('d')],
    });
  });

  it('refuses a config without diff_ids', () => {
    expect(() => parseConfig(Buffer.from('{"rootfs":{}}'))).toThrow(
      'invalid image config: rootfs.diff_ids is not a list of sha256 digests',
    );
  });
});

describe('selectPlatform', () => {
  const index = parseIndex(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            ...desc('1'),
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            platform: { os: 'linux', architecture: 'arm', variant: 'v7' },
          },
          {
            ...desc('2'),
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
          },
          {
            ...desc('3'),
            mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
            platform: { os: 'linux', architecture: 'amd64' },
          },
          {
            ...desc('4'),
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            platform: { os: 'unknown', architecture: 'unknown' },
          },
        ],
      }),
    ),
  );
  it.each([
    [{ os: 'linux', architecture: 'amd64' }, D('3')],
    [{ os: 'linux', architecture: 'arm64' }, D('2')],
    [{ os: 'linux', architecture: 'arm64', variant: 'v8' }, D('2')],
    [{ os: 'linux', architecture: 'arm', variant: 'v7' }, D('1')],
  ])('picks %j', (platform, digest) => {
    expect(selectPlatform(index, platform).digest).toBe(digest);
  });

  it('lists what the index offers when the platform is missing', () => {
    expect(() => selectPlatform(index, { os: 'linux', architecture: 'riscv64' })).toThrow(
      'the image has no linux/riscv64 variant (it offers: linux/arm/v7, linux/arm64/v8, linux/amd64, unknown/unknown)',
    );
  });
});
