import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type Entry, tar } from '../../test/helpers/tar-writer.ts';
import { listTree, tempDir } from '../../test/helpers/tmp.ts';
import { fzstdTransform } from './decompress.ts';
import { type LayerFile, unpackLayers } from './unpack.ts';

const isRoot = process.geteuid?.() === 0;

function setup() {
  const base = tempDir();
  for (const d of ['tmp', 'outside', 'layers']) mkdirSync(join(base, d));
  writeFileSync(join(base, 'outside', 'secret'), 'secret');
  return base;
}

function layer(base: string, name: string, bytes: Buffer): LayerFile {
  const path = join(base, 'layers', name);
  writeFileSync(path, bytes);
  return { path, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` };
}

async function unpack(base: string, layers: Entry[][], compress: (b: Buffer) => Buffer = gzipSync) {
  const files = layers.map((entries, i) => layer(base, `l${i}`, compress(tar(entries))));
  const dest = join(base, 'rootfs');
  const stats = await unpackLayers(files, dest, { tmpDir: join(base, 'tmp') });
  return { dest, stats, files };
}

const hasZstd = spawnSync('zstd', ['--version']).status === 0;
if (!hasZstd)
  console.warn('skipping zstd layer tests: the zstd tool (Debian package zstd) is not installed');
const zstd = (b: Buffer) =>
  execFileSync('zstd', ['-q', '-c', '-3'], { input: b, maxBuffer: 1 << 26 });

describe('unpackLayers', () => {
  it.skipIf(!hasZstd)(
    'reads zstd layers (node:zlib when it has zstd, fzstd otherwise)',
    async () => {
      const base = setup();
      const big = randomBytes(300000);
      const { dest } = await unpack(
        base,
        [
          [
            { name: 'a/big', data: big },
            { name: 'b', data: 'b' },
          ],
        ],
        zstd,
      );
      expect(listTree(dest)).toEqual(['a/', 'a/big', 'b']);
      expect(readFileSync(join(dest, 'a/big'))).toEqual(big);
    },
  );

  it.skipIf(!hasZstd)(
    'decodes zstd with the pure-JS fallback and refuses a truncated stream',
    async () => {
      const data = Buffer.concat([randomBytes(200000), Buffer.alloc(200000, 1)]);
      const packed = zstd(data);
      const out: Buffer[] = [];
      await pipeline(
        Readable.from([packed.subarray(0, 1000), packed.subarray(1000)]),
        fzstdTransform(),
        async (src) => {
          for await (const c of src) out.push(c as Buffer);
        },
      );
      expect(Buffer.concat(out)).toEqual(data);
      const cut = pipeline(
        Readable.from([packed.subarray(0, packed.length - 10)]),
        fzstdTransform(),
        async (src) => {
          for await (const _ of src) {
          }
        },
      );
      await expect(cut).rejects.toThrow();
    },
  );

  it('writes files, dirs, symlinks and hard links with modes, times and owners', async () => {
    const base = setup();
    const { dest, stats } = await unpack(base, [
      [
        { name: 'usr/', type: 'dir', mode: 0o755 },
        { name: 'usr/lib/', type: 'dir', mode: 0o750, mtime: 1600000000 },
        {
          name: 'usr/lib/libc.so',
          data: 'elf',
          mode: 0o755,
          uid: 1000,
          gid: 1001,
          mtime: 1500000000,
        },
        { name: 'lib', type: 'symlink', linkname: 'usr/lib' },
        { name: 'usr/bin/su', data: 'su', mode: 0o4755 },
        { name: 'usr/bin/link', type: 'hardlink', linkname: 'usr/lib/libc.so' },
        { name: 'ro/', type: 'dir', mode: 0o555 },
        { name: 'ro/f', data: 'x', mode: 0o400 },
        { name: 'dev/null', type: 'char' },
        { name: 'dev/fifo', type: 'fifo' },
      ],
    ]);
    expect(listTree(dest)).toEqual([
      'lib -> usr/lib',
      'ro/',
      'ro/f',
      'usr/',
      'usr/bin/',
      'usr/bin/link',
      'usr/bin/su',
      'usr/lib/',
      'usr/lib/libc.so',
    ]);
    expect(stats).toEqual({
      files: 3,
      dirs: 3,
      symlinks: 1,
      hardlinks: 1,
      whiteouts: 0,
      skipped: 2,
      bytes: 6,
      xattrs: { applied: 0, skipped: {} },
    });
    const libc = statSync(join(dest, 'usr/lib/libc.so'));
    expect(libc.mode & 0o7777).toBe(0o755);
    expect(libc.mtimeMs).toBe(1500000000000);
    expect(statSync(join(dest, 'usr/bin/link')).ino).toBe(libc.ino);
    expect(statSync(join(dest, 'usr/lib')).mode & 0o7777).toBe(0o750);
    expect(statSync(join(dest, 'usr/lib')).mtimeMs).toBe(1600000000000);
    expect(statSync(join(dest, 'ro')).mode & 0o7777).toBe(0o555);
    expect(statSync(join(dest, 'usr/bin/su')).mode & 0o7777).toBe(0o4755);
    expect(readFileSync(join(dest, 'lib/libc.so'), 'utf8')).toBe('elf');
    if (isRoot) expect([libc.uid, libc.gid]).toEqual([1000, 1001]);
    expect(listTree(join(base, 'tmp'))).toEqual([]);
  });

  it('applies whiteouts, opaque directories and replacements across layers', async () => {
    const base = setup();
    const { dest, stats } = await unpack(base, [
      [
        { name: 'etc/keep', data: '1' },
        { name: 'etc/gone', data: '1' },
        { name: 'opq/old', data: '1' },
        { name: 'opq/sub/old', data: '1' },
        { name: 'dir/x', data: '1' },
        { name: 'file', data: 'was a file' },
        { name: 'usr/lib/a', data: 'a' },
        { name: 'lib', type: 'symlink', linkname: 'usr/lib' },
      ],
      [
        { name: 'etc/.wh.gone' },
        { name: 'etc/.wh.never-existed' },
        { name: 'nothere/.wh.x' },
        { name: 'opq/', type: 'dir' },
        { name: 'opq/.wh..wh..opq' },
        { name: 'opq/new', data: '2' },
        { name: 'dir', data: 'now a file' },
        { name: 'file/', type: 'dir' },
        { name: 'file/inside', data: '2' },
        { name: 'lib/b', data: 'through an in-root symlink' },
        { name: 'etc/keep', data: '2' },
      ],
    ]);
    expect(listTree(dest)).toEqual([
      'dir',
      'etc/',
      'etc/keep',
      'file/',
      'file/inside',
      'lib -> usr/lib',
      'opq/',
      'opq/new',
      'usr/',
      'usr/lib/',
      'usr/lib/a',
      'usr/lib/b',
    ]);
    expect(stats.whiteouts).toBe(4);
    expect(readFileSync(join(dest, 'etc/keep'), 'utf8')).toBe('2');
    expect(readFileSync(join(dest, 'dir'), 'utf8')).toBe('now a file');
  });

  it('hides lower layers under an opaque directory whatever the entry order', async () => {
    const base = setup();
    const { dest } = await unpack(base, [
      [
        { name: 'a/old', data: '1' },
        { name: 'a/sub/old', data: '1' },
        { name: 'a/keep/old', data: '1' },
      ],
      [
        { name: 'a/sub/', type: 'dir' },
        { name: 'a/sub/new', data: '2' },
        { name: 'a/keep/new', data: '2' },
        { name: 'a/.wh..wh..opq' },
        { name: 'a/late', data: '2' },
      ],
    ]);
    expect(listTree(dest)).toEqual([
      'a/',
      'a/keep/',
      'a/keep/new',
      'a/late',
      'a/sub/',
      'a/sub/new',
    ]);
  });

  it('replaces a symlink named by a later file instead of writing through it', async () => {
    const base = setup();
    const target = join(base, 'outside', 'planted');
    const { dest } = await unpack(base, [
      [{ name: 'f', type: 'symlink', linkname: target }],
      [{ name: 'f', data: 'mine' }],
    ]);
    expect(lstatSync(join(dest, 'f')).isFile()).toBe(true);
    expect(listTree(join(base, 'outside'))).toEqual(['secret']);
  });

  it('reads archives written by GNU tar in pax and gnu formats', async () => {
    const base = setup();
    const src = join(base, 'src');
    const long = `${'d'.repeat(120)}/${'e'.repeat(150)}/ünïcödé-${'f'.repeat(90)}`;
    mkdirSync(join(src, long), { recursive: true });
    writeFileSync(join(src, long, 'file'), Buffer.alloc(70000, 7));
    writeFileSync(join(src, 'empty'), '');
    execFileSync('ln', ['-s', `${long}/file`, join(src, 'longlink')]);
    execFileSync('ln', [join(src, long, 'file'), join(src, 'hard')]);
    for (const format of ['pax', 'gnu']) {
      const bytes = execFileSync('tar', ['-C', src, `--format=${format}`, '-cf', '-', '.'], {
        maxBuffer: 1 << 24,
      });
      const dest = join(base, `rootfs-${format}`);
      await unpackLayers([layer(base, format, bytes)], dest, { tmpDir: join(base, 'tmp') });
      expect(listTree(dest)).toEqual(listTree(src));
      expect(readFileSync(join(dest, 'hard'))).toEqual(Buffer.alloc(70000, 7));
    }
  });

  it('checks the uncompressed digest against the diff_id', async () => {
    const base = setup();
    const bytes = tar([{ name: 'a', data: 'a' }]);
    const file = layer(base, 'l', gzipSync(bytes));
    const good = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    await unpackLayers([{ ...file, diffId: good }], join(base, 'ok'), {
      tmpDir: join(base, 'tmp'),
    });
    const bad = `sha256:${'0'.repeat(64)}`;
    await expect(
      unpackLayers([{ ...file, diffId: bad }], join(base, 'bad'), { tmpDir: join(base, 'tmp') }),
    ).rejects.toThrow(
      `layer 1 of 1 (${file.digest}) uncompresses to ${good}, but the image config says ${bad}: the image is corrupt; remove it (sbx template rm, then prune) and pull or build it again`,
    );
    expect(listTree(join(base, 'tmp'))).toEqual([]);
    expect(listTree(base).filter((p) => p.startsWith('bad'))).toEqual([]);
  });
});
