import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type Entry, tar } from '../../test/helpers/tar-writer.ts';
import { listTree, tempDir } from '../../test/helpers/tmp.ts';
import { unpackLayers } from './unpack.ts';

/** Layers as entries (gzipped tar) or raw bytes; `OUT` in names and targets is the outside dir. */
type Layer = Entry[] | Buffer;

const cases: [string, Layer[], string][] = [
  [
    'dot-dot traversal',
    [[{ name: '../escape', data: 'x' }]],
    'entry "../escape": ".." climbs above the root',
  ],
  [
    'traversal in the middle',
    [[{ name: 'a/../../escape', data: 'x' }]],
    'entry "a/../../escape": ".." climbs above the root',
  ],
  [
    'absolute entry name',
    [[{ name: 'OUT/abs', data: 'x' }]],
    'entry "OUT/abs": the entry name is absolute',
  ],
  [
    'relative symlink escaping, then a write through it',
    [
      [
        { name: 'up', type: 'symlink', linkname: '../../../../../../../../OUT' },
        { name: 'up/pwned', data: 'x' },
      ],
    ],
    'entry "up/pwned": ".." climbs above the root',
  ],
  [
    'absolute symlink used as a parent',
    [
      [
        { name: 'abs', type: 'symlink', linkname: 'OUT' },
        { name: 'abs/pwned', data: 'x' },
      ],
    ],
    'entry "abs/pwned": "abs" is a symlink to the absolute path "OUT" and cannot be a parent',
  ],
  [
    'symlink planted by an earlier layer, written through by a later one',
    [[{ name: 'etc', type: 'symlink', linkname: 'OUT' }], [{ name: 'etc/passwd', data: 'x' }]],
    'layer 2 of 2 (LAYER2), entry "etc/passwd": "etc" is a symlink to the absolute path "OUT" and cannot be a parent',
  ],
  [
    'symlink chain out of the root',
    [
      [
        { name: 'a', type: 'symlink', linkname: 'b/../..' },
        { name: 'b/', type: 'dir' },
        { name: 'a/x/y', data: 'x' },
      ],
    ],
    'entry "a/x/y": ".." climbs above the root',
  ],
  [
    'hard link to a file outside',
    [[{ name: 'h', type: 'hardlink', linkname: '../outside/secret' }]],
    'entry "h": ".." climbs above the root',
  ],
  [
    'hard link to an absolute path',
    [[{ name: 'h', type: 'hardlink', linkname: 'OUT/secret' }]],
    'entry "h": the hard link target "OUT/secret" is absolute',
  ],
  [
    'hard link through an absolute symlink',
    [
      [
        { name: 's', type: 'symlink', linkname: 'OUT' },
        { name: 'h', type: 'hardlink', linkname: 's/secret' },
      ],
    ],
    'entry "h": "s" is a symlink to the absolute path "OUT" and cannot be a parent',
  ],
  [
    'hard link to a name not in the image',
    [[{ name: 'h', type: 'hardlink', linkname: 'nothing' }]],
    'entry "h": the hard link target "nothing" is not in the image',
  ],
  [
    'symlink loop used as a parent',
    [
      [
        { name: 'a', type: 'symlink', linkname: 'b' },
        { name: 'b', type: 'symlink', linkname: 'a' },
        { name: 'a/x', data: 'x' },
      ],
    ],
    'entry "a/x": too many levels of symbolic links',
  ],
  ['whiteout climbing out', [[{ name: '.wh...' }]], 'entry ".wh...": the whiteout names no file'],
  [
    'file used as a directory',
    [
      [
        { name: 'f', data: 'x' },
        { name: 'f/x', data: 'x' },
      ],
    ],
    'entry "f/x": "f" is not a directory',
  ],
  [
    'huge declared size',
    [gzipSync(tar([{ name: 'big', data: 'tiny', size: 2 ** 40 }], { end: false }))],
    'entry "big" is not a valid tar stream: the archive is truncated inside an entry',
  ],
  [
    'huge pax record',
    [gzipSync(tar([{ name: 'PaxHeader', type: 'pax', size: 2 ** 30 }], { end: false }))],
    'is not a valid tar stream: a pax record of 1073741824 bytes is too large',
  ],
  [
    'truncated gzip',
    [gzipSync(tar([{ name: 'a', data: randomBytes(100000) }])).subarray(0, 50000)],
    'unexpected end of file',
  ],
  [
    'not a tar at all',
    [Buffer.from('hello, this is not a tar archive'.repeat(40))],
    'is not a valid tar stream: a tar header number is not octal',
  ],
];

describe('hostile layers', () => {
  it.each(cases)('%s is refused and nothing is written outside', async (_name, layers, message) => {
    const base = tempDir();
    const out = join(base, 'outside');
    mkdirSync(out);
    mkdirSync(join(base, 'tmp'));
    writeFileSync(join(out, 'secret'), 'secret');
    const files = layers.map((l, i) => {
      const bytes = Buffer.isBuffer(l)
        ? l
        : gzipSync(
            tar(
              l.map((e) => ({
                ...e,
                name: e.name.replace('OUT', out),
                linkname: e.linkname?.replace('OUT', out),
              })),
            ),
          );
      const path = join(base, `layer${i}`);
      writeFileSync(path, bytes);
      return { path, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` };
    });
    const dest = join(base, 'rootfs');
    const expected = message.replaceAll('OUT', out).replace('LAYER2', files[1]?.digest ?? '');
    const err = await unpackLayers(files, dest, { tmpDir: join(base, 'tmp') }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(expected);
    expect((err as { code: string }).code).toMatch(/^SBX_TEMPLATES_(UNSAFE|CORRUPT)_LAYER$/);
    expect(existsSync(dest)).toBe(false);
    expect(listTree(out)).toEqual(['secret']);
    expect(listTree(join(base, 'tmp'))).toEqual([]);
    expect(listTree(base).filter((p) => !p.startsWith('layer'))).toEqual([
      'outside/',
      'outside/secret',
      'tmp/',
    ]);
  });

  it('stops a decompression bomb at the size limit and leaves nothing', async () => {
    const base = tempDir();
    mkdirSync(join(base, 'tmp'));
    const bytes = gzipSync(tar([{ name: 'zeros', data: Buffer.alloc(8 << 20) }]));
    const path = join(base, 'bomb');
    writeFileSync(path, bytes);
    await expect(
      unpackLayers([{ path, digest: 'sha256:bomb' }], join(base, 'r'), {
        tmpDir: join(base, 'tmp'),
        maxBytes: 1 << 20,
      }),
    ).rejects.toThrow(
      'refused layer 1 of 1 (sha256:bomb), entry "zeros": the image unpacks to more than 1048576 bytes of file data',
    );
    expect(listTree(base)).toEqual(['bomb', 'tmp/']);
  });

  it('names the layer and entry and says what to do', async () => {
    const base = tempDir();
    mkdirSync(join(base, 'tmp'));
    const bytes = gzipSync(
      tar([
        { name: 'ok', data: '1' },
        { name: '../escape', data: 'x' },
      ]),
    );
    const path = join(base, 'l');
    writeFileSync(path, bytes);
    await expect(
      unpackLayers([{ path, digest: 'sha256:abc' }], join(base, 'r'), {
        tmpDir: join(base, 'tmp'),
      }),
    ).rejects.toThrow(
      'refused layer 1 of 1 (sha256:abc), entry "../escape": ".." climbs above the root; the image is not safe to use',
    );
  });
});
