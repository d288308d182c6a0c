import { existsSync, statSync } from 'node:fs';
import { chown, mkdir, rm } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { VmError } from '../errors.ts';
import { which } from './host-path.ts';
import type { HostLayout } from './host-root.ts';
import { type IdPlan, planIds } from './idmap.ts';
import { writeMaps } from './launch.ts';
import { deleteLayerAsSandboxRoot } from './layer.ts';
import { readSubordinateRange } from './subid.ts';

/** Package databases whose change means the host's directory trees may have changed. */
const PACKAGE_DBS = ['/var/lib/dpkg/status', '/var/lib/rpm', '/lib/apk/db/installed'];

export interface HostDirs {
  /** `<cache>/<uid>.<gid>`: the trees of sandboxes whose root is that host uid and gid. */
  dir: string;
  /** Each part's current generation, `usr-<key>` (the tree is `<dir>/usr-<key>`). */
  generations: string[];
}

/**
 * Where the setup stage finds (or builds) the directory-only copies of the host's OS trees for
 * this sandbox's root. Owned by that root, so the trees it builds are, and shared by every
 * sandbox of that root. A part's key follows its own mtime and the package database's, so a
 * host upgrade that adds directories gets a fresh tree at the next start.
 */
export async function hostDirs(cache: string, ids: IdPlan, host: HostLayout): Promise<HostDirs> {
  const uid = ids.uidMap[0]!.outside;
  const gid = ids.gidMap[0]!.outside;
  const dir = join(cache, `${uid}.${gid}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // As root, the sandbox's root is an unprivileged id that must own its trees; otherwise it
  // is this user (or maps this user's files), which may write here already.
  if (process.getuid?.() === 0) await chown(dir, uid, gid);
  const packages = Math.max(0, ...PACKAGE_DBS.map(mtime));
  const generations = host.parts.map((part) => `${part}-${Math.max(packages, mtime(`/${part}`))}`);
  return { dir, generations };
}

function mtime(path: string): number {
  try {
    return Math.floor(statSync(path).mtimeMs / 1000);
  } catch {
    return 0;
  }
}

/**
 * Deletes a `hostDirsCache` directory. Its trees belong to sandbox roots (subordinate ids),
 * which this user may not delete itself: as with a writable layer, the sandbox's root does.
 * Only for when no sandbox uses it (their overlays have its trees as lower layers).
 */
export async function removeHostDirs(cache: string): Promise<void> {
  if (!existsSync(cache)) return;
  if (process.getuid?.() !== 0) {
    const bwrap = which('bwrap');
    if (!bwrap)
      throw new VmError(
        'SBX_VM_PREFLIGHT',
        'bubblewrap is not installed: sudo apt-get install -y bubblewrap',
      );
    const me = userInfo();
    const ids = planIds({
      selfUid: me.uid,
      selfGid: me.gid,
      uid: 0,
      gid: 0,
      subuid: readSubordinateRange('/etc/subuid', me.username, me.uid),
      subgid: readSubordinateRange('/etc/subgid', me.username, me.uid),
    });
    await deleteLayerAsSandboxRoot(bwrap, cache, ids, writeMaps);
  }
  await rm(cache, { recursive: true, force: true });
}
