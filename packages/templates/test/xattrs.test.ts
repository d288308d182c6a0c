import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { openStore } from '../src/store/store.ts';
import { writeOciLayout } from './helpers/image.ts';
import { tempDir } from './helpers/tmp.ts';
import { hasAttrTools, hex, xattrsOf } from './helpers/xattrs.ts';

const isRoot = process.geteuid?.() === 0;
if (!isRoot)
  console.warn('skipping the GNU tar xattr image test: setting security.capability needs root');
/** `setcap cap_net_raw+ep` as bytes (VFS_CAP_REVISION_2, effective, permitted bit 13). */
const NET_RAW = '0x0100000200200000000000000000000000000000';

describe.skipIf(!hasAttrTools || !isRoot)(
  'extended attributes in an image layer made by GNU tar',
  () => {
    it('sets user.* attributes and never grants the layer’s file capabilities', async () => {
      const dir = tempDir();
      const src = join(dir, 'src');
      mkdirSync(join(src, 'usr/bin'), { recursive: true });
      writeFileSync(join(src, 'usr/bin/ping'), '#!/bin/sh\n', { mode: 0o755 });
      execFileSync('setfattr', [
        '-n',
        'user.origin',
        '-v',
        'built-in-test',
        join(src, 'usr/bin/ping'),
      ]);
      execFileSync('setfattr', [
        '-n',
        'security.capability',
        '-v',
        NET_RAW,
        join(src, 'usr/bin/ping'),
      ]);
      execFileSync('setfattr', ['-n', 'user.dir', '-v', 'yes', join(src, 'usr')]);
      expect(xattrsOf(join(src, 'usr/bin/ping'))).toEqual({
        'security.capability': NET_RAW,
        'user.origin': hex('built-in-test'),
      });
      const layer = gzipSync(
        execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-C', src, '-cf', '-', 'usr']),
      );
      writeOciLayout(join(dir, 'layout'), [layer], { refName: 'caps' });

      const warnings: string[] = [];
      const store = openStore({ root: join(dir, 'store'), onWarning: (m) => warnings.push(m) });
      const [img] = await store.importArchive(join(dir, 'layout'), { tag: 'team/caps:1' });

      expect(xattrsOf(join(img!.rootfs, 'usr/bin/ping'))).toEqual({
        'user.origin': hex('built-in-test'),
      });
      expect(xattrsOf(join(img!.rootfs, 'usr'))).toEqual({ 'user.dir': hex('yes') });
      expect(warnings).toEqual([
        'extended attributes not applied: 1 security.capability (first on "usr/bin/ping"); file capabilities, security labels, ACLs, trusted.* and overlay metadata from images are never set',
      ]);
    });
  },
);
