import { execFileSync, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { sha } from './helpers/image.ts';
import { type Entry, tar } from './helpers/tar-writer.ts';
import { listTree, tempDir } from './helpers/tmp.ts';
import { hasAttrTools, hex, xattrsOf } from './helpers/xattrs.ts';

// A user namespace where we are uid 1000 and hold no capability: what a rootless sbx sees.
const ROOTLESS = ['--user', '--map-user=1000', '--map-group=1000'];
const canSwitch = spawnSync('unshare', [...ROOTLESS, 'true']).status === 0;
if (!canSwitch)
  console.warn('skipping rootless unpack tests: unshare cannot create a user namespace here');
const me = process.geteuid?.() ?? 0;
const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
const child = fileURLToPath(new URL('./helpers/unpack-child.ts', import.meta.url));

/** Unpacks `layers` in a child process without privileges (uid 1000 in a user namespace). */
function unpackRootless(layers: Entry[][]) {
  const base = tempDir();
  for (const d of ['tmp', 'outside', 'layers']) mkdirSync(join(base, d));
  writeFileSync(join(base, 'outside/secret'), 'secret');
  const files = layers.map((entries, i) => {
    const bytes = gzipSync(
      tar(
        entries.map((e) => ({ ...e, linkname: e.linkname?.replace('OUT', join(base, 'outside')) })),
      ),
    );
    const path = join(base, 'layers', `l${i}`);
    writeFileSync(path, bytes);
    return { path, digest: sha(bytes) };
  });
  const dest = join(base, 'rootfs');
  const args = JSON.stringify([files, dest, join(base, 'tmp')]);
  const out = execFileSync('unshare', [...ROOTLESS, tsx, child, args], { encoding: 'utf8' });
  return { base, dest, result: JSON.parse(out.trim().split('\n').at(-1)!) };
}

describe.skipIf(!canSwitch)('rootless unpack (no capabilities, in a user namespace)', () => {
  it('keeps modes and times, gives files to the caller, and copes with read-only directories', async () => {
    const { dest, result } = unpackRootless([
      [
        { name: 'ro/', type: 'dir', mode: 0o555, mtime: 1600000000 },
        { name: 'ro/inner/', type: 'dir', mode: 0o500 },
        { name: 'ro/inner/f', data: 'x', mode: 0o4755, uid: 0, gid: 0 },
        // Setting an attribute needs write access: lent while setting, taken back after.
        { name: 'ro/inner/r', data: 'r', mode: 0o444, xattrs: { 'user.r': '1' } },
        { name: 'home/agent/', type: 'dir', uid: 1000, gid: 1000 },
      ],
      [{ name: 'ro/inner/g', data: 'second layer writes into a read-only directory', mode: 0o600 }],
    ]);
    expect(result).toEqual({
      ok: true,
      stats: {
        files: 3,
        dirs: 3,
        symlinks: 0,
        hardlinks: 0,
        whiteouts: 0,
        skipped: 0,
        bytes: 48,
        xattrs: {
          applied: hasAttrTools ? 1 : 0,
          skipped: hasAttrTools ? {} : { 'user.* (no setfattr)': 1 },
        },
      },
    });
    expect(listTree(dest)).toEqual([
      'home/',
      'home/agent/',
      'ro/',
      'ro/inner/',
      'ro/inner/f',
      'ro/inner/g',
      'ro/inner/r',
    ]);
    expect(statSync(join(dest, 'ro/inner/r')).mode & 0o7777).toBe(0o444);
    if (hasAttrTools) expect(xattrsOf(join(dest, 'ro/inner/r'))).toEqual({ 'user.r': hex('1') });
    const f = statSync(join(dest, 'ro/inner/f'));
    expect([f.uid, f.gid, f.mode & 0o7777]).toEqual([me, me, 0o4755]);
    expect(statSync(join(dest, 'ro')).mode & 0o7777).toBe(0o555);
    expect(statSync(join(dest, 'ro')).mtimeMs).toBe(1600000000000);
    expect(statSync(join(dest, 'ro/inner')).mode & 0o7777).toBe(0o500);
    expect(statSync(join(dest, 'home/agent')).uid).toBe(me);
  });

  it('refuses a write through a planted symlink and leaves the outside alone', async () => {
    const { base, dest, result } = unpackRootless([
      [{ name: 'etc', type: 'symlink', linkname: 'OUT' }],
      [{ name: 'etc/passwd', data: 'x' }],
    ]);
    expect(result.ok).toBe(false);
    expect(result.code).toBe('SBX_TEMPLATES_UNSAFE_LAYER');
    expect(listTree(join(base, 'outside'))).toEqual(['secret']);
    expect(lstatSync(dest, { throwIfNoEntry: false })).toBeUndefined();
    expect(listTree(join(base, 'tmp'))).toEqual([]);
  });
});
