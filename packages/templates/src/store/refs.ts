import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface RefRecord {
  /** Canonical reference (`docker.io/library/ubuntu:latest`) or, for unnamed images, the digest. */
  reference: string;
  /** Digest of the image manifest. */
  digest: string;
  /** When the tag was last pointed at this digest (ISO 8601). */
  updated: string;
}

/** Tags -> manifest digests, one small file per tag, replaced atomically. */
export class RefStore {
  private readonly dir: string;

  constructor(
    root: string,
    private readonly tmpDir: string,
  ) {
    this.dir = join(root, 'refs');
    mkdirSync(this.dir, { recursive: true });
  }

  private file(reference: string): string {
    return join(this.dir, encodeURIComponent(reference));
  }

  async get(reference: string): Promise<RefRecord | undefined> {
    const text = await readFile(this.file(reference), 'utf8').catch(() => undefined);
    return text === undefined ? undefined : (JSON.parse(text) as RefRecord);
  }

  async set(reference: string, digest: string): Promise<void> {
    const rec: RefRecord = { reference, digest, updated: new Date().toISOString() };
    const tmp = join(this.tmpDir, `ref-${randomBytes(8).toString('hex')}`);
    await writeFile(tmp, `${JSON.stringify(rec)}\n`, { mode: 0o644 });
    await rename(tmp, this.file(reference));
  }

  async delete(reference: string): Promise<boolean> {
    const existed = (await this.get(reference)) !== undefined;
    await rm(this.file(reference), { force: true });
    return existed;
  }

  async list(): Promise<RefRecord[]> {
    const names = await readdir(this.dir);
    const recs = await Promise.all(names.map((n) => this.get(decodeURIComponent(n))));
    return recs
      .filter((r): r is RefRecord => r !== undefined)
      .sort((a, b) => a.reference.localeCompare(b.reference));
  }
}
