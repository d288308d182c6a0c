import { createHash, type Hash, randomBytes } from 'node:crypto';
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join, posix } from 'node:path';
import { TemplateError } from '../errors.ts';
import type { BlobRef } from '../store/blobs.ts';
import type { Store } from '../store/store.ts';
import type { TarHeader, TarSink } from '../unpack/tar.ts';

/** Files up to this size are kept in memory too (manifests, configs, index.json). */
const SMALL = 1 << 20;
const MAX_SMALL_TOTAL = 64 << 20;

export interface ArchiveFiles {
  /** A small file's bytes by its path in the archive, following symlinks. */
  file(name: string): Buffer | undefined;
  /** Makes sure the file at `name` is a blob in the store and returns its digest, size and first bytes. */
  blob(name: string): Promise<(BlobRef & { head: Buffer }) | undefined>;
}

interface Stored extends BlobRef {
  head: Buffer;
}

/**
 * A tar sink that streams every regular file of an image archive (docker save, OCI layout)
 * straight into the blob store, hashing as it goes: no copy of the archive on disk first.
 */
export class ArchiveCollector implements TarSink, ArchiveFiles {
  private readonly small = new Map<string, Buffer>();
  private readonly stored = new Map<string, Stored>();
  private readonly links = new Map<string, string>();
  private smallTotal = 0;
  private cur:
    | {
        name: string;
        fd: number;
        tmp: string;
        hash: Hash;
        size: number;
        head: Buffer;
        bufs: Buffer[] | undefined;
      }
    | undefined;

  constructor(private readonly store: Store) {}

  entry(h: TarHeader): void {
    const name = clean(h.name);
    if (h.type === 'symlink' || h.type === 'hardlink') {
      const target =
        h.type === 'symlink' ? posix.join(posix.dirname(name), h.linkname) : clean(h.linkname);
      this.links.set(name, clean(target));
      return;
    }
    if (h.type !== 'file') return;
    const tmp = join(this.store.tmpDir, `blob-${randomBytes(8).toString('hex')}`);
    const keep = h.size <= SMALL;
    if (keep) {
      this.smallTotal += h.size;
      if (this.smallTotal > MAX_SMALL_TOTAL) {
        throw new TemplateError(
          'SBX_TEMPLATES_INVALID_IMAGE',
          'the archive holds too many small files to be an image archive',
        );
      }
    }
    this.cur = {
      name,
      fd: openSync(tmp, 'wx', 0o644),
      tmp,
      hash: createHash('sha256'),
      size: 0,
      head: Buffer.alloc(0),
      bufs: keep ? [] : undefined,
    };
  }

  data(chunk: Buffer): void {
    const c = this.cur;
    if (!c) return;
    if (c.head.length < 4) c.head = Buffer.concat([c.head, chunk.subarray(0, 4 - c.head.length)]);
    c.hash.update(chunk);
    c.size += chunk.length;
    c.bufs?.push(Buffer.from(chunk));
    let off = 0;
    while (off < chunk.length) off += writeSync(c.fd, chunk, off, chunk.length - off);
  }

  entryEnd(): void {
    const c = this.cur;
    if (!c) return;
    this.cur = undefined;
    closeSync(c.fd);
    const digest = `sha256:${c.hash.digest('hex')}`;
    renameSync(c.tmp, this.store.blobs.path(digest));
    this.stored.set(c.name, { digest, size: c.size, head: c.head });
    if (c.bufs) this.small.set(c.name, Buffer.concat(c.bufs));
  }

  /** Removes the temp file of an entry cut short. */
  abort(): void {
    if (!this.cur) return;
    closeSync(this.cur.fd);
    rmSync(this.cur.tmp, { force: true });
    this.cur = undefined;
  }

  /** Digests of every blob this archive wrote, so unused ones can be dropped. */
  digests(): string[] {
    return [...this.stored.values()].map((s) => s.digest);
  }

  file(name: string): Buffer | undefined {
    return this.small.get(this.follow(name));
  }

  async blob(name: string): Promise<(BlobRef & { head: Buffer }) | undefined> {
    return this.stored.get(this.follow(name));
  }

  private follow(name: string): string {
    let n = clean(name);
    for (let i = 0; i < 40 && this.links.has(n); i++) n = this.links.get(n)!;
    return n;
  }
}

function clean(name: string): string {
  return posix
    .normalize(name)
    .replace(/^(\.\/)+/, '')
    .replace(/\/+$/, '');
}
