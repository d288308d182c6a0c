import { createHash, type Hash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { type FileHandle, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TemplateError } from '../errors.ts';
import { isSha256Digest } from '../reference.ts';

const SYNC_LIMIT = 1 << 20;

export interface Expected {
  digest?: string;
  size?: number;
}

export interface BlobRef {
  digest: string;
  size: number;
}

/** Content-addressed blobs under `<root>/blobs/sha256/<hex>`, written through temp files. */
export class BlobStore {
  readonly dir: string;

  constructor(
    root: string,
    readonly tmpDir: string,
  ) {
    this.dir = join(root, 'blobs', 'sha256');
    mkdirSync(this.dir, { recursive: true });
  }

  path(digest: string): string {
    if (!isSha256Digest(digest)) {
      throw new TemplateError('SBX_TEMPLATES_INVALID_IMAGE', `"${digest}" is not a sha256 digest`);
    }
    return join(this.dir, digest.slice(7));
  }

  async has(digest: string): Promise<boolean> {
    return (await stat(this.path(digest)).catch(() => undefined))?.isFile() ?? false;
  }

  /** Reads a (small) blob and checks it still matches its digest. */
  async read(digest: string): Promise<Buffer> {
    const bytes = await readFile(this.path(digest)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        throw new TemplateError(
          'SBX_TEMPLATES_BLOB_MISSING',
          `blob ${digest} is not in the store: pull or import the image again`,
        );
      }
      throw err;
    });
    const got = sha256(bytes);
    if (got !== digest) {
      throw new TemplateError(
        'SBX_TEMPLATES_DIGEST_MISMATCH',
        `blob ${digest} in the store has digest ${got}: remove it and pull again`,
      );
    }
    return bytes;
  }

  /** Stores `bytes`, checking them against `expected` first. */
  async put(bytes: Buffer, expected?: Expected): Promise<BlobRef> {
    const w = await this.writer(expected);
    try {
      await w.write(bytes);
      return await w.commit();
    } catch (err) {
      await w.abort();
      throw err;
    }
  }

  /** Streams a blob in: hashed as it arrives, refused past the expected size, renamed into place once verified. */
  async write(
    source: AsyncIterable<Uint8Array>,
    expected?: Expected,
    label?: string,
  ): Promise<BlobRef> {
    const w = await this.writer(expected, label);
    try {
      for await (const chunk of source) await w.write(chunk);
      return await w.commit();
    } catch (err) {
      await w.abort();
      throw err;
    }
  }

  async writer(expected?: Expected, label?: string): Promise<BlobWriter> {
    const path = join(this.tmpDir, `blob-${randomBytes(8).toString('hex')}`);
    return new BlobWriter(this, path, await open(path, 'wx', 0o644), expected ?? {}, label);
  }

  async remove(digest: string): Promise<void> {
    await rm(this.path(digest), { force: true });
  }
}

export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** One blob being written; `written` lets a download resume where it stopped. */
export class BlobWriter {
  written = 0;
  private readonly hash: Hash = createHash('sha256');

  constructor(
    private readonly store: BlobStore,
    private readonly tmp: string,
    private readonly fh: FileHandle,
    private readonly expected: Expected,
    private readonly label = expected.digest ?? 'blob',
  ) {}

  async write(chunk: Uint8Array): Promise<void> {
    const size = this.expected.size;
    if (size !== undefined && this.written + chunk.length > size) {
      throw new TemplateError(
        'SBX_TEMPLATES_DIGEST_MISMATCH',
        `${this.label} is larger than the ${size} bytes its descriptor declares`,
      );
    }
    this.hash.update(chunk);
    this.written += chunk.length;
    let off = 0;
    while (off < chunk.length)
      off += (await this.fh.write(chunk, off, chunk.length - off)).bytesWritten;
  }

  async commit(): Promise<BlobRef> {
    const digest = `sha256:${this.hash.digest('hex')}`;
    const { size } = this.expected;
    if (size !== undefined && this.written !== size) {
      throw new TemplateError(
        'SBX_TEMPLATES_DIGEST_MISMATCH',
        `${this.label} has ${this.written} bytes, its descriptor declares ${size}`,
      );
    }
    if (this.expected.digest !== undefined && digest !== this.expected.digest) {
      throw new TemplateError(
        'SBX_TEMPLATES_DIGEST_MISMATCH',
        `${this.label} has digest ${digest}, expected ${this.expected.digest}: the source served corrupt or tampered content`,
      );
    }
    // Manifests and configs (an image's identity) are synced; layers are not: every unpack checks
    // them against the config's diff_ids, so a blob torn by a crash is caught, like the tree it fed.
    if (this.written <= SYNC_LIMIT) await this.fh.datasync();
    await this.fh.close();
    await rename(this.tmp, this.store.path(digest));
    return { digest, size: this.written };
  }

  async abort(): Promise<void> {
    await this.fh.close().catch(() => {});
    await rm(this.tmp, { force: true });
  }
}
