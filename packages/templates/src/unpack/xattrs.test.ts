import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { type Entry, tar } from '../../test/helpers/tar-writer.ts';
import { listTree, tempDir } from '../../test/helpers/tmp.ts';
import { hasAttrTools, hex, xattrsOf } from '../../test/helpers/xattrs.ts';
import { unpackLayers } from './unpack.ts';

/** security.capability v2 granting cap_net_raw (permitted and effective): what `setcap cap_net_raw+ep` writes. */
const NET_RAW = Buffer.from('0100000200200000000000000000000000000000', 'hex');

async function unpack(layers: Entry[][]) {
  const base = tempDir();
  for (const d of ['tmp', 'outside', 'layers']) mkdirSync(join(base, d));
  writeFileSync(join(base, 'outside/secret'), 'secret');
  const files = layers.map((entries, i) => {
    const bytes = gzipSync(tar(entries));
    const path = join(base, 'layers', `l${i}`);
    writeFileSync(path, bytes);
    return { path, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` };
  });
  const dest = join(base, 'rootfs');
  const warnings: string[] = [];
  const stats = await unpackLayers(files, dest, {
    tmpDir: join(base, 'tmp'),
    onWarning: (m) => warnings.push(m),
  });
  return { base, dest, stats, warnings };
}

const path = process.env.PATH;
afterEach(() => {
  process.env.PATH = path;
});

describe.skipIf(!hasAttrTools)('extended attributes on unpack', () => {
  it('sets user.* attributes and leaves out security.*, trusted.*, system.* and overlay metadata', async () => {
    const { dest, stats, warnings } = await unpack([
      [
        { name: 'etc/', type: 'dir', mode: 0o755, xattrs: { 'user.dir': 'd' } },
        {
          name: 'usr/bin/ping',
          mode: 0o755,
          data: 'elf',
          xattrs: {
            'user.mime_type': 'application/x-executable',
            'user.bin': Buffer.from([0, 1, 0xff, 0x0a]),
            'user.empty': '',
            'security.capability': NET_RAW,
            'security.selinux': 'system_u:object_r:ping_exec_t:s0',
            'trusted.overlay.opaque': 'y',
            'system.posix_acl_access': Buffer.from('02000000', 'hex'),
            'user.overlay.redirect': '/etc',
            'user.fuseoverlayfs.override_stat': '0:0:04755',
          },
        },
        { name: 'ro', mode: 0o444, data: 'read-only', xattrs: { 'user.ro': 'yes' } },
      ],
    ]);
    expect(xattrsOf(join(dest, 'usr/bin/ping'))).toEqual({
      'user.bin': '0x0001ff0a',
      'user.empty': '0x',
      'user.mime_type': hex('application/x-executable'),
    });
    expect(xattrsOf(join(dest, 'etc'))).toEqual({ 'user.dir': hex('d') });
    expect(xattrsOf(join(dest, 'ro'))).toEqual({ 'user.ro': hex('yes') });
    expect(statSync(join(dest, 'ro')).mode & 0o7777).toBe(0o444);
    expect(stats.xattrs).toEqual({
      applied: 5,
      skipped: {
        'security.capability': 1,
        'security.*': 1,
        'trusted.*': 1,
        'system.*': 1,
        'overlay metadata (user.overlay.* …)': 2,
      },
    });
    expect(warnings).toEqual([
      'extended attributes not applied: 1 security.capability (first on "usr/bin/ping"), 1 security.* (first on "usr/bin/ping"), 1 trusted.* (first on "usr/bin/ping"), 1 system.* (first on "usr/bin/ping"), 2 overlay metadata (user.overlay.* …) (first on "usr/bin/ping"); file capabilities, security labels, ACLs, trusted.* and overlay metadata from images are never set',
    ]);
  });

  it('names files and attributes with spaces, newlines, "=", backslashes and non-ASCII exactly', async () => {
    const names = ['a b', 'new\nline', 'x=y', 'back\\slash', 'café'];
    // A PAX key ends at its first "=", so attribute names cannot hold one.
    const attr = (name: string) => `user.k ${name.replace('=', '-')}`;
    const { dest, stats } = await unpack([
      names.map((name) => ({ name, data: name, xattrs: { [attr(name)]: name } })),
    ]);
    for (const name of names)
      expect([name, xattrsOf(join(dest, name))]).toEqual([name, { [attr(name)]: hex(name) }]);
    expect(stats.xattrs).toEqual({ applied: 5, skipped: {} });
  });

  it('never sets an attribute through a symlink, even one that replaced the file in a later layer', async () => {
    const { base, dest, stats } = await unpack([
      [
        { name: 'f', data: 'x', xattrs: { 'user.a': '1' } },
        { name: 'link', type: 'symlink', linkname: '../outside/secret', xattrs: { 'user.b': '2' } },
        { name: 'gone', data: 'x', xattrs: { 'user.c': '3' } },
      ],
      [{ name: 'f', type: 'symlink', linkname: '../outside/secret' }, { name: '.wh.gone' }],
    ]);
    expect(listTree(dest)).toEqual(['f -> ../outside/secret', 'link -> ../outside/secret']);
    expect(xattrsOf(join(base, 'outside/secret'))).toEqual({});
    expect(readFileSync(join(base, 'outside/secret'), 'utf8')).toBe('secret');
    expect(stats.xattrs).toEqual({ applied: 0, skipped: { 'user.* on a symlink': 1 } });
  });

  it('keeps a hard link’s attributes and a re-declared directory’s latest ones', async () => {
    const { dest } = await unpack([
      [
        { name: 'd/', type: 'dir', xattrs: { 'user.v': '1' } },
        { name: 'd/f', data: 'x', xattrs: { 'user.f': 'f' } },
        { name: 'd/link', type: 'hardlink', linkname: 'd/f' },
      ],
      [{ name: 'd/', type: 'dir', xattrs: { 'user.v': '2' } }],
    ]);
    expect(xattrsOf(join(dest, 'd'))).toEqual({ 'user.v': hex('2') });
    expect(xattrsOf(join(dest, 'd/link'))).toEqual({ 'user.f': hex('f') });
  });

  it('warns in one line and unpacks everything else when setfattr is not installed', async () => {
    process.env.PATH = '/nonexistent';
    const { dest, stats, warnings } = await unpack([
      [{ name: 'f', data: 'x', xattrs: { 'user.a': '1', 'security.capability': NET_RAW } }],
    ]);
    process.env.PATH = path;
    expect(readFileSync(join(dest, 'f'), 'utf8')).toBe('x');
    expect(xattrsOf(join(dest, 'f'))).toEqual({});
    expect(stats.xattrs).toEqual({
      applied: 0,
      skipped: { 'security.capability': 1, 'user.* (no setfattr)': 1 },
    });
    expect(warnings).toEqual([
      'extended attributes not applied: 1 security.capability (first on "f"); file capabilities, security labels, ACLs, trusted.* and overlay metadata from images are never set',
      '1 user.* extended attribute(s) not applied: setfattr is not installed (Debian package "attr")',
    ]);
  });

  it('warns and unpacks the rest when the filesystem refuses an attribute', async () => {
    // ext4 without ea_inode keeps a value in one block and refuses 60 kB with ENOSPC; filesystems
    // that hold it (xfs, btrfs) get it set: the probe says which this temp dir is.
    const big = Buffer.alloc(60_000, 0x61);
    const probe = join(tempDir(), 'probe');
    writeFileSync(probe, '');
    const probeError = spawnSync('setfattr', ['-n', 'user.big', '-v', hex(big), probe], {
      encoding: 'utf8',
    })
      .stderr.replace(`setfattr: ${probe}: `, '')
      .trim();
    const { dest, stats, warnings } = await unpack([
      [{ name: 'f', data: 'x', xattrs: { 'user.big': big, 'user.small': '1' } }],
    ]);
    if (probeError !== '') {
      expect(xattrsOf(join(dest, 'f'))).toEqual({ 'user.small': hex('1') });
      expect(stats.xattrs).toEqual({
        applied: 1,
        skipped: { 'user.* (refused by the filesystem)': 1 },
      });
      expect(warnings).toEqual([
        `1 of 2 user.* extended attribute(s) not applied: setfattr: f: ${probeError}`,
      ]);
    } else {
      expect(xattrsOf(join(dest, 'f'))).toEqual({ 'user.big': hex(big), 'user.small': hex('1') });
      expect(stats.xattrs).toEqual({ applied: 2, skipped: {} });
    }
  });

  it('refuses an image declaring more attribute bytes than it may hold', async () => {
    const big = Buffer.alloc(60000, 0x61);
    const entries: Entry[] = Array.from({ length: 300 }, (_, i) => ({
      name: `f${i}`,
      xattrs: { 'user.big': big },
    }));
    await expect(unpack([entries])).rejects.toThrow(
      /^refused layer 1 of 1 \(sha256:[0-9a-f]{64}\), entry "f279": the image declares more than 16777216 bytes of extended attributes; the image is not safe to use$/,
    );
  });
});
