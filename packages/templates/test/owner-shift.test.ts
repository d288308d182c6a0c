import { execFileSync } from 'node:child_process';
import {
  chownSync,
  lchownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type OwnerShift, openStore, TemplateError } from '../src/index.ts';
import { writeOciLayout } from './helpers/image.ts';
import { tempDir } from './helpers/tmp.ts';

const isRoot = process.geteuid?.() === 0;
if (!isRoot) console.warn("owner shift tests skipped: chowning to the layers' owners needs root");

/** A layer made by real tar from files owned by 0, 1000 and 7: a setuid file, a hard link, a symlink. */
function layer(dir: string): Buffer {
  const src = join(dir, 'src');
  mkdirSync(join(src, 'home/agent'), { recursive: true });
  mkdirSync(join(src, 'bin'));
  writeFileSync(join(src, 'bin/sudo'), 'sudo');
  execFileSync('chmod', ['4755', join(src, 'bin/sudo')]);
  writeFileSync(join(src, 'home/agent/notes'), 'notes');
  linkSync(join(src, 'home/agent/notes'), join(src, 'home/agent/hard'));
  symlinkSync('../bin/sudo', join(src, 'home/link'));
  chownSync(join(src, 'home/agent'), 1000, 1000);
  chownSync(join(src, 'home/agent/notes'), 1000, 7);
  lchownSync(join(src, 'home/link'), 7, 1000);
  const out = join(dir, 'layer.tar');
  execFileSync('tar', ['--numeric-owner', '-C', src, '-cf', out, 'bin', 'home']);
  return readFileSync(out);
}

const owner = (root: string, path: string) => {
  const st = lstatSync(join(root, path));
  return [st.uid, st.gid, (st.mode & 0o7777).toString(8)];
};

describe.skipIf(!isRoot)('ownerShift (as root)', () => {
  it.each<{ name: string; shift: OwnerShift | undefined; u: number; g: number }>([
    { name: 'no shift', shift: undefined, u: 0, g: 0 },
    { name: 'a shift', shift: { uid: 0x60000000, gid: 0x60010000 }, u: 0x60000000, g: 0x60010000 },
    { name: 'a zero shift', shift: { uid: 0, gid: 0 }, u: 0, g: 0 },
  ])('$name: every owner gets the shift, links and setuid included', async ({ shift, u, g }) => {
    const dir = tempDir();
    writeOciLayout(join(dir, 'layout'), [layer(dir)]);
    const store = openStore({ root: join(dir, 'store'), ownerShift: shift });
    const [img] = await store.importArchive(join(dir, 'layout'), { tag: 'shift:1' });
    const r = img!.rootfs;
    expect({
      bin: owner(r, 'bin'),
      sudo: owner(r, 'bin/sudo'),
      agent: owner(r, 'home/agent'),
      notes: owner(r, 'home/agent/notes'),
      hard: owner(r, 'home/agent/hard'),
      link: owner(r, 'home/link').slice(0, 2),
    }).toEqual({
      bin: [u, g, '755'],
      sudo: [u, g, '4755'],
      agent: [u + 1000, g + 1000, '755'],
      notes: [u + 1000, g + 7, '644'],
      hard: [u + 1000, g + 7, '644'],
      link: [u + 7, g + 1000],
    });
    expect(lstatSync(join(r, 'home/agent/hard')).ino).toBe(
      lstatSync(join(r, 'home/agent/notes')).ino,
    );
  });

  it('keeps one tree per shift, never serves one to another, and prune removes both', async () => {
    const dir = tempDir();
    writeOciLayout(join(dir, 'layout'), [layer(dir)]);
    const root = join(dir, 'store');
    const plain = openStore({ root });
    const shifted = openStore({ root, ownerShift: { uid: 100000, gid: 200000 } });
    const [a] = await plain.importArchive(join(dir, 'layout'), { tag: 'shift:1' });
    const b = await shifted.resolve('shift:1');
    const c = await openStore({ root, ownerShift: { uid: 100000, gid: 300000 } }).resolve(
      'shift:1',
    );
    const hex = a!.id.slice('sha256:'.length);
    expect(readdirSync(join(root, 'rootfs')).sort()).toEqual([
      hex,
      `${hex}-shift-100000-200000`,
      `${hex}-shift-100000-300000`,
    ]);
    expect([a!.rootfs, b.rootfs, c.rootfs].map((r) => owner(r, 'bin/sudo'))).toEqual([
      [0, 0, '4755'],
      [100000, 200000, '4755'],
      [100000, 300000, '4755'],
    ]);
    expect(await shifted.prune()).toEqual({ blobs: 0, rootfs: 0, bytes: 0 });
    await plain.remove('shift:1');
    const pruned = await shifted.prune();
    expect(pruned).toEqual({ blobs: 3, rootfs: 3, bytes: pruned.bytes });
    expect(readdirSync(join(root, 'rootfs'))).toEqual([]);
  });
});

describe('ownerShift', () => {
  it.each([
    { name: 'without chown', options: { chown: false, ownerShift: { uid: 1, gid: 1 } } },
    { name: 'a negative id', options: { ownerShift: { uid: -1, gid: 1 } } },
    { name: 'a fraction', options: { ownerShift: { uid: 1, gid: 0.5 } } },
  ])('refuses a shift $name', ({ options }) => {
    const err = (() => {
      try {
        openStore({ root: join(tempDir(), 'store'), ...options });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(TemplateError);
    expect((err as TemplateError).code).toBe('SBX_TEMPLATES_UNSUPPORTED');
  });
});
