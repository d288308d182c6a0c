import { mkdirSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import { TemplateError } from '../errors.ts';
import { parseConfig, parseManifest } from '../image/parse.ts';
import type { ConfigFile, ImageConfig, Manifest } from '../image/types.ts';
import { isSha256Digest, parseReference } from '../reference.ts';
import { type PullOptions, pull } from '../registry/pull.ts';
import { importArchive } from '../sources/archive.ts';
import { type DockerOptions, loadFromDocker } from '../sources/docker.ts';
import type { ImportOptions } from '../sources/images.ts';
import type { OwnerShift } from '../unpack/apply.ts';
import {
  checkOwnerShift,
  type LayerFile,
  type UnpackProgress,
  unpackLayers,
} from '../unpack/unpack.ts';
import { BlobStore, sha256 } from './blobs.ts';
import { defaultStoreRoot } from './paths.ts';
import { RefStore } from './refs.ts';
import { removeTree } from './remove-tree.ts';
import { SingleFlight } from './singleflight.ts';

const SHIFT_SUFFIX = /-shift-\d+-\d+$/;

export interface StoreOptions {
  /** Store directory; defaults to `$DOCKER_CONFIG/sandboxes/image-cache` (`~/.docker/…`). */
  root?: string;
  /** Keep file owners from the layers; defaults to true as root (rootless: files belong to the caller). */
  chown?: boolean;
  /**
   * As root: added to every file owner (`imageOwnerShift()` of @sbx/vm) so the image's root is
   * a sandbox's mapped root. Trees are kept per shift: one unpacked with a shift is never served
   * to a store opened with another shift or none.
   */
  ownerShift?: OwnerShift | undefined;
  /** Refuse images that unpack to more file data than this (decompression bombs); default 64 GiB. */
  maxUnpackedBytes?: number;
  /** Where unpack warnings go (extended attributes left out or not settable); default: process.emitWarning. */
  onWarning?: (message: string) => void;
}

/** An image in the store, ready for a sandbox. */
export interface ImageInfo {
  /** The reference it was resolved from, canonical; the digest for unnamed images. */
  reference: string;
  /** Digest of the image manifest (what a registry calls the image digest). */
  digest: string;
  /** Digest of the image config: Docker's image ID; one unpacked tree per ID. */
  id: string;
  platform: string;
  created: string | undefined;
  /** Sum of the layer blobs' sizes. */
  size: number;
  layers: number;
  config: ImageConfig;
  /** Absolute path of the unpacked root filesystem; shared by every sandbox: mount it read-only. */
  rootfs: string;
}

export type ProgressEvent =
  | { phase: 'download'; digest: string; current: number; total: number }
  /** Bytes of an archive stream read so far (docker load, import): its size is not known. */
  | { phase: 'read'; source: string; current: number }
  | UnpackProgress
  | { phase: 'done'; digest: string };

export interface PruneResult {
  blobs: number;
  rootfs: number;
  bytes: number;
}

/** Opens (creating when needed) the content-addressed template store. */
export function openStore(options: StoreOptions = {}): Store {
  return new Store(options);
}

export class Store {
  readonly root: string;
  readonly tmpDir: string;
  readonly blobs: BlobStore;
  readonly refs: RefStore;
  /** Shared by every operation on this store object so concurrent calls share the work. */
  readonly flights = new SingleFlight();
  private readonly rootfsDir: string;
  private readonly chown: boolean | undefined;
  private readonly maxBytes: number | undefined;
  private readonly ownerShift: OwnerShift | undefined;
  private readonly onWarning: ((message: string) => void) | undefined;
  private active = 0;
  private idle: (() => void)[] = [];

  constructor(options: StoreOptions = {}) {
    this.root = resolvePath(options.root ?? defaultStoreRoot());
    this.tmpDir = join(this.root, 'tmp');
    this.rootfsDir = join(this.root, 'rootfs');
    mkdirSync(this.tmpDir, { recursive: true, mode: 0o700 });
    mkdirSync(this.rootfsDir, { recursive: true });
    this.blobs = new BlobStore(this.root, this.tmpDir);
    this.refs = new RefStore(this.root, this.tmpDir);
    this.chown = options.chown;
    checkOwnerShift(options.ownerShift, options.chown ?? process.geteuid?.() === 0);
    const shift = options.ownerShift;
    // A zero shift is no shift: the same tree, the same directory.
    this.ownerShift = shift && (shift.uid !== 0 || shift.gid !== 0) ? shift : undefined;
    this.maxBytes = options.maxUnpackedBytes;
    this.onWarning = options.onWarning;
  }

  /** Runs an operation that writes blobs; prune waits for these so it never sweeps a pull in progress. */
  async busy<T>(fn: () => Promise<T>): Promise<T> {
    this.active++;
    try {
      return await fn();
    } finally {
      if (--this.active === 0) for (const wake of this.idle.splice(0)) wake();
    }
  }

  /**
   * Records an image whose blobs are in the store: stores the manifest, checks config and layers,
   * unpacks it (once per image ID, refusing hostile layers) and points `references` at it.
   */
  async commit(
    manifestBytes: Buffer,
    references: readonly string[],
    onProgress?: (p: ProgressEvent) => void,
  ): Promise<ImageInfo> {
    const digest = sha256(manifestBytes);
    if (!(await this.blobs.has(digest))) await this.blobs.put(manifestBytes, { digest });
    const names = references.map((r) => (isSha256Digest(r) ? r : parseReference(r).canonical));
    const info = await this.image(digest, names[0] ?? digest, onProgress);
    // An image without a name is kept under its digest until removed by it.
    for (const r of names.length > 0 ? names : [digest]) await this.refs.set(r, digest);
    onProgress?.({ phase: 'done', digest });
    return info;
  }

  /** Finds an image by reference, digest or ID and makes sure its root filesystem is unpacked. */
  async resolve(reference: string, onProgress?: (p: ProgressEvent) => void): Promise<ImageInfo> {
    const { key, digest } = await this.lookup(reference);
    return this.image(digest, key, onProgress);
  }

  /** Every tagged image, sorted by reference. */
  async list(): Promise<(Omit<ImageInfo, 'rootfs'> & { unpacked: boolean })[]> {
    const out = [];
    for (const rec of await this.refs.list()) {
      const m = await this.manifestAndConfig(rec.digest).catch(() => undefined);
      if (!m) continue;
      const rootfs = this.rootfsPath(m.manifest.config.digest);
      const unpacked = (await stat(rootfs).catch(() => undefined))?.isDirectory() ?? false;
      const { rootfs: _r, ...info } = describe(
        rec.reference,
        rec.digest,
        m.manifest,
        m.config,
        rootfs,
      );
      out.push({ ...info, unpacked });
    }
    return out;
  }

  /** Removes a tag (the blobs and tree go at the next `prune` if nothing else uses them). */
  async remove(reference: string): Promise<void> {
    const { key } = await this.lookup(reference);
    if (!(await this.refs.delete(key))) {
      throw new TemplateError(
        'SBX_TEMPLATES_NOT_FOUND',
        `"${reference}" is a digest, not a tag: remove the tags that point to it`,
      );
    }
  }

  /**
   * Removes blobs and unpacked trees that no tag and no `keep` entry (manifest digests or image
   * IDs of images sandboxes still use) references, and stale temp files.
   */
  async prune(options: { keep?: readonly string[] } = {}): Promise<PruneResult> {
    while (this.active > 0) await new Promise<void>((r) => this.idle.push(r));
    const liveBlobs = new Set<string>();
    const liveIds = new Set<string>();
    const roots = [...(await this.refs.list()).map((r) => r.digest), ...(options.keep ?? [])];
    for (const d of roots) {
      liveIds.add(d);
      if (!(await this.blobs.has(d))) continue;
      liveBlobs.add(d);
      const manifest = await this.blobs
        .read(d)
        .then(parseManifest)
        .catch(() => undefined);
      if (!manifest) continue;
      liveIds.add(manifest.config.digest);
      liveBlobs.add(manifest.config.digest);
      for (const l of manifest.layers) liveBlobs.add(l.digest);
    }
    for (const id of options.keep ?? []) liveBlobs.add(id);
    const result: PruneResult = { blobs: 0, rootfs: 0, bytes: 0 };
    for (const name of await readdir(this.blobs.dir)) {
      if (liveBlobs.has(`sha256:${name}`)) continue;
      const path = join(this.blobs.dir, name);
      result.bytes += (await stat(path).catch(() => undefined))?.size ?? 0;
      await removeTree(path);
      result.blobs++;
    }
    for (const name of await readdir(this.rootfsDir)) {
      // Trees of live images stay whatever their shift: other stores may serve them.
      if (liveIds.has(`sha256:${name.replace(SHIFT_SUFFIX, '')}`)) continue;
      await removeTree(join(this.rootfsDir, name));
      result.rootfs++;
    }
    const hourAgo = Date.now() - 3600_000;
    for (const name of await readdir(this.tmpDir)) {
      const st = await stat(join(this.tmpDir, name)).catch(() => undefined);
      if (st && st.mtimeMs < hourAgo) await removeTree(join(this.tmpDir, name));
    }
    return result;
  }

  /** Pulls an image from its registry (bearer-token auth, digest-verified, resumable, parallel layers). */
  pull(reference: string, options?: PullOptions): Promise<ImageInfo> {
    return pull(this, reference, options);
  }

  /** Imports `docker save` tarballs and OCI image layouts (directory or tar, optionally compressed). */
  importArchive(path: string, options?: ImportOptions): Promise<ImageInfo[]> {
    return importArchive(this, path, options);
  }

  /** Loads an image from the local Docker Engine (`DOCKER_HOST` honoured), streamed into the store. */
  loadFromDocker(reference: string, options?: DockerOptions): Promise<ImageInfo> {
    return this.flights.run(`docker:${reference}`, () => loadFromDocker(this, reference, options));
  }

  /** Where image `id`'s tree is (or will be) unpacked for this store's owner shift. */
  rootfsPath(id: string): string {
    const shift = this.ownerShift;
    const suffix = shift ? `-shift-${shift.uid}-${shift.gid}` : '';
    return join(this.rootfsDir, `${id.slice('sha256:'.length)}${suffix}`);
  }

  private async lookup(reference: string): Promise<{ key: string; digest: string }> {
    if (isSha256Digest(reference)) {
      if (await this.blobs.has(reference)) return { key: reference, digest: reference };
      throw notFound(reference);
    }
    const ref = parseReference(reference);
    if (ref.digest !== undefined) {
      if (await this.blobs.has(ref.digest)) return { key: ref.canonical, digest: ref.digest };
      throw notFound(reference);
    }
    const rec = await this.refs.get(ref.canonical);
    if (!rec) throw notFound(reference);
    return { key: ref.canonical, digest: rec.digest };
  }

  private async manifestAndConfig(
    digest: string,
  ): Promise<{ manifest: Manifest; config: ConfigFile }> {
    const manifest = parseManifest(await this.blobs.read(digest));
    const config = parseConfig(await this.blobs.read(manifest.config.digest));
    if (config.diffIds.length !== manifest.layers.length) {
      throw new TemplateError(
        'SBX_TEMPLATES_INVALID_IMAGE',
        `image ${digest} lists ${manifest.layers.length} layers but its config has ${config.diffIds.length} diff_ids`,
      );
    }
    return { manifest, config };
  }

  private async image(
    digest: string,
    reference: string,
    onProgress?: (p: ProgressEvent) => void,
  ): Promise<ImageInfo> {
    const { manifest, config } = await this.manifestAndConfig(digest);
    const id = manifest.config.digest;
    const rootfs = this.rootfsPath(id);
    await this.flights.run(`unpack:${rootfs}`, async () => {
      if (await stat(rootfs).catch(() => undefined)) return;
      const layers: LayerFile[] = [];
      for (const [i, l] of manifest.layers.entries()) {
        if (!(await this.blobs.has(l.digest))) {
          throw new TemplateError(
            'SBX_TEMPLATES_BLOB_MISSING',
            `layer ${i + 1} (${l.digest}) of image ${digest} is not in the store: pull or import the image again`,
          );
        }
        const diffId = config.diffIds[i]!;
        layers.push({
          path: this.blobs.path(l.digest),
          digest: l.digest,
          size: l.size,
          diffId,
        });
      }
      try {
        await unpackLayers(layers, rootfs, {
          tmpDir: this.tmpDir,
          ...(this.chown !== undefined ? { chown: this.chown } : {}),
          ...(this.ownerShift ? { ownerShift: this.ownerShift } : {}),
          ...(this.maxBytes !== undefined ? { maxBytes: this.maxBytes } : {}),
          ...(onProgress ? { onProgress } : {}),
          ...(this.onWarning ? { onWarning: this.onWarning } : {}),
        });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (
          (code === 'ENOTEMPTY' || code === 'EEXIST') &&
          (await stat(rootfs).catch(() => undefined))
        )
          return;
        throw err;
      }
    });
    return describe(reference, digest, manifest, config, rootfs);
  }
}

function describe(
  reference: string,
  digest: string,
  manifest: Manifest,
  config: ConfigFile,
  rootfs: string,
): ImageInfo {
  return {
    reference,
    digest,
    id: manifest.config.digest,
    platform: [config.os, config.architecture, config.variant].filter(Boolean).join('/'),
    created: config.created,
    size: manifest.layers.reduce((n, l) => n + l.size, 0),
    layers: manifest.layers.length,
    config: config.config,
    rootfs,
  };
}

function notFound(reference: string): TemplateError {
  return new TemplateError(
    'SBX_TEMPLATES_NOT_FOUND',
    `image "${reference}" is not in the store: pull, load or import it first`,
  );
}
