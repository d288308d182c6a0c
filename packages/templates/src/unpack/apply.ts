import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lutimesSync,
  mkdirSync,
  openSync,
  rmSync,
  symlinkSync,
  writeSync,
} from 'node:fs';
import type { TarHeader, TarSink } from './tar.ts';
import { join, type Node, newDir, resolveDir, splitName, UnsafePathError } from './tree.ts';
import { XattrFilter, type XattrStats } from './xattrs.ts';

const WH = '.wh.';
const OPAQUE = '.wh..wh..opq';
const CREATE_FLAGS =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const UMASK = process.umask();

export interface ApplyStats {
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  whiteouts: number;
  /** Device nodes and FIFOs: never created, the sandbox runtime provides /dev. */
  skipped: number;
  bytes: number;
  xattrs: XattrStats;
}

/** Amounts added to every uid and gid recorded in the layers. */
export interface OwnerShift {
  uid: number;
  gid: number;
}

/** Highest id a file may get: (uid_t)-1 means "unchanged" to chown. */
const MAX_ID = 0xfffffffe;

export interface ApplierOptions {
  /** Keep the owners recorded in the layers (needs root); otherwise files belong to the caller. */
  chown: boolean;
  /** Added to every owner when chowning, so the image's root is a sandbox's mapped root. */
  ownerShift?: OwnerShift | undefined;
  /** Refuse layers that unpack to more file data than this (decompression bombs). */
  maxBytes: number;
}

/**
 * Applies tar entries, layer after layer, into `rootPath` (a fresh directory this process owns).
 * Paths resolve through the in-memory tree, files are created with O_EXCL|O_NOFOLLOW, and the
 * syscalls are synchronous: one small batch per decompressed chunk, no thread-pool round trip
 * per file, while gunzip runs on the thread pool.
 */
export class Applier implements TarSink {
  readonly tree: Node = newDir(-1);
  /** Keeps entries' user.* attributes (set at the end by applyXattrs), counts the rest. */
  readonly xattrs = new XattrFilter();
  readonly stats: ApplyStats = {
    xattrs: this.xattrs.stats,
    files: 0,
    dirs: 0,
    symlinks: 0,
    hardlinks: 0,
    whiteouts: 0,
    skipped: 0,
    bytes: 0,
  };
  layer = 0;
  /** Name of the entry being applied, for error messages. */
  current: string | undefined;
  private fd = -1;
  private file: TarHeader | undefined;
  private readonly uid = process.geteuid?.() ?? 0;
  private readonly gid = process.getegid?.() ?? 0;
  private readonly mkdir = (rel: string): void => {
    mkdirSync(this.abs(rel), 0o755);
  };

  constructor(
    private readonly rootPath: string,
    private readonly options: ApplierOptions,
  ) {}

  entry(h: TarHeader): void {
    this.current = h.name;
    const parts = splitName(h.name);
    const base = parts.pop();
    if (base === undefined) {
      if (h.type !== 'dir') throw new UnsafePathError('the entry would replace the root directory');
      this.tree.meta = meta(h);
      this.tree.xattrs = this.keepXattrs(h, 'dir');
      return;
    }
    if (base === '..') throw new UnsafePathError('the entry name ends in ".."');
    if (base.startsWith(WH)) {
      this.whiteout(parts, base);
      return;
    }
    if (h.type === 'char' || h.type === 'block' || h.type === 'fifo') {
      this.stats.skipped++;
      return;
    }
    const { dir, dirPath } = resolveDir(this.tree, parts, this.mkdir, this.layer)!;
    const rel = join(dirPath, base);
    const path = this.abs(rel);
    const existing = dir.children!.get(base);
    if (existing) {
      if (existing.kind === 'dir' && h.type === 'dir') {
        existing.meta = meta(h);
        existing.xattrs = this.keepXattrs(h, 'dir');
        // Re-declared in this layer: an opaque marker later in it must not drop it.
        existing.layer = this.layer;
        return;
      }
      rmSync(path, { recursive: existing.kind === 'dir', force: true });
      dir.children!.delete(base);
    }
    switch (h.type) {
      case 'dir':
        mkdirSync(path, 0o755);
        dir.children!.set(base, {
          ...newDir(this.layer),
          meta: meta(h),
          xattrs: this.keepXattrs(h, 'dir'),
        });
        this.stats.dirs++;
        return;
      case 'symlink': {
        symlinkSync(h.linkname, path);
        const owner = this.owner(h);
        if (owner) lchownSync(path, owner.uid, owner.gid);
        lutimesSync(path, h.mtime, h.mtime);
        this.keepXattrs(h, 'symlink');
        dir.children!.set(base, { kind: 'symlink', layer: this.layer, target: h.linkname });
        this.stats.symlinks++;
        return;
      }
      case 'hardlink': {
        const target = this.linkTarget(h.linkname);
        linkSync(this.abs(target.rel), path);
        const node: Node = { ...target.node, layer: this.layer };
        if (h.xattrs) node.xattrs = this.keepXattrs(h, 'file');
        dir.children!.set(base, node);
        this.stats.hardlinks++;
        return;
      }
      case 'file':
        this.fd = openSync(path, CREATE_FLAGS, h.mode & 0o777);
        this.file = h;
        dir.children!.set(base, {
          kind: 'file',
          layer: this.layer,
          xattrs: this.keepXattrs(h, 'file'),
        });
        this.stats.files++;
        return;
    }
  }

  data(chunk: Buffer): void {
    if (this.fd < 0) return;
    this.stats.bytes += chunk.length;
    if (this.stats.bytes > this.options.maxBytes) {
      throw new UnsafePathError(
        `the image unpacks to more than ${this.options.maxBytes} bytes of file data`,
      );
    }
    let off = 0;
    while (off < chunk.length) off += writeSync(this.fd, chunk, off, chunk.length - off);
  }

  entryEnd(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    const h = this.file!;
    this.fd = -1;
    this.file = undefined;
    try {
      // chown clears setuid/setgid, so the mode is set after it.
      const owner = this.owner(h);
      const chowned = owner !== undefined;
      if (owner) fchownSync(fd, owner.uid, owner.gid);
      const mode = h.mode & 0o7777;
      if (chowned || mode !== (h.mode & 0o777 & ~UMASK)) fchmodSync(fd, mode);
      futimesSync(fd, h.mtime, h.mtime);
    } finally {
      closeSync(fd);
    }
  }

  /** Closes a file left open by a failed layer. */
  abort(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /** Sets directory owners, modes and times last, deepest first, so writes inside never fail. */
  finish(): void {
    const walk = (node: Node, rel: string): void => {
      for (const [name, child] of node.children!) {
        if (child.kind === 'dir') walk(child, join(rel, name));
      }
      const m = node.meta;
      if (!m) return;
      const path = this.abs(rel);
      const owner = this.owner(m);
      if (owner) lchownSync(path, owner.uid, owner.gid);
      chmodSync(path, m.mode & 0o7777);
      lutimesSync(path, m.mtime, m.mtime);
    };
    walk(this.tree, '');
  }

  private whiteout(parts: string[], base: string): void {
    this.stats.whiteouts++;
    const found = resolveDir(this.tree, parts, undefined, this.layer);
    if (!found) return;
    const { dir, dirPath } = found;
    if (base === OPAQUE) {
      this.hideLower(dir, dirPath);
      return;
    }
    if (base.startsWith(`${WH}${WH}`)) return;
    const name = base.slice(WH.length);
    if (name === '' || name === '.' || name === '..')
      throw new UnsafePathError('the whiteout names no file');
    if (!dir.children!.has(name)) return;
    rmSync(this.abs(join(dirPath, name)), { recursive: true, force: true });
    dir.children!.delete(name);
  }

  /** Opaque directory: whatever lower layers put under it goes, whatever this layer wrote stays. */
  private hideLower(dir: Node, dirPath: string): void {
    for (const [name, child] of dir.children!) {
      const rel = join(dirPath, name);
      if (child.layer < this.layer) {
        rmSync(this.abs(rel), { recursive: true, force: true });
        dir.children!.delete(name);
      } else if (child.kind === 'dir') {
        this.hideLower(child, rel);
      }
    }
  }

  private linkTarget(linkname: string): { rel: string; node: Node } {
    if (linkname.startsWith('/'))
      throw new UnsafePathError(`the hard link target "${linkname}" is absolute`);
    const parts = splitName(linkname);
    const base = parts.pop();
    const found =
      base === undefined ? undefined : resolveDir(this.tree, parts, undefined, this.layer);
    const node = found && base !== '..' ? found.dir.children!.get(base!) : undefined;
    if (!found || !node) {
      throw new UnsafePathError(`the hard link target "${linkname}" is not in the image`);
    }
    if (node.kind === 'dir')
      throw new UnsafePathError(`the hard link target "${linkname}" is a directory`);
    return { rel: join(found.dirPath, base!), node };
  }

  private keepXattrs(h: TarHeader, kind: Node['kind']) {
    return h.xattrs ? this.xattrs.keep(h.name, h.xattrs, kind, h.mode & 0o7777) : undefined;
  }

  /** The (shifted) owner to give an entry, or undefined when no chown is needed. */
  private owner(o: { uid: number; gid: number }): OwnerShift | undefined {
    if (!this.options.chown) return undefined;
    const shift = this.options.ownerShift;
    const uid = o.uid + (shift?.uid ?? 0);
    const gid = o.gid + (shift?.gid ?? 0);
    if (uid > MAX_ID || gid > MAX_ID) {
      throw new UnsafePathError(
        `the entry's owner ${o.uid}:${o.gid} shifted by ${shift?.uid}:${shift?.gid} is not a valid id`,
      );
    }
    return uid === this.uid && gid === this.gid ? undefined : { uid, gid };
  }

  private abs(rel: string): string {
    return rel === '' ? this.rootPath : `${this.rootPath}/${rel}`;
  }
}

function meta(h: TarHeader): { mode: number; uid: number; gid: number; mtime: number } {
  return { mode: h.mode, uid: h.uid, gid: h.gid, mtime: h.mtime };
}
