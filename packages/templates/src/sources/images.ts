import { TemplateError } from '../errors.ts';
import {
  hostPlatform,
  isIndex,
  parseDescriptor,
  parseIndex,
  selectPlatform,
} from '../image/parse.ts';
import { type Descriptor, MEDIA } from '../image/types.ts';
import { parseReference } from '../reference.ts';
import type { ImageInfo, ProgressEvent, Store } from '../store/store.ts';
import { sniffCompression } from '../unpack/decompress.ts';
import type { ArchiveFiles } from './collect.ts';

export interface ImportOptions {
  /** Name for the imported image, replacing the names recorded in the archive. */
  tag?: string;
  onProgress?: (p: ProgressEvent) => void;
}

const REF_NAME = 'org.opencontainers.image.ref.name';
const CONTAINERD_NAME = 'io.containerd.image.name';

function missing(what: string): TemplateError {
  return new TemplateError(
    'SBX_TEMPLATES_BLOB_MISSING',
    `the archive does not contain ${what}: it is incomplete or not an image archive`,
  );
}

function parseJson<T>(bytes: Buffer, what: string): T {
  try {
    return JSON.parse(bytes.toString()) as T;
  } catch {
    throw new TemplateError(
      'SBX_TEMPLATES_INVALID_IMAGE',
      `${what} in the archive is not valid JSON`,
    );
  }
}

/** Commits every image of a `docker save` archive (legacy layout or Docker 25's OCI-based one). */
export async function importDockerArchive(
  store: Store,
  files: ArchiveFiles,
  options: ImportOptions,
): Promise<ImageInfo[]> {
  const entries = parseJson<{ Config?: unknown; RepoTags?: unknown; Layers?: unknown }[]>(
    files.file('manifest.json')!,
    'manifest.json',
  );
  if (!Array.isArray(entries) || entries.length === 0)
    throw new TemplateError('SBX_TEMPLATES_INVALID_IMAGE', 'manifest.json lists no images');
  const names = nameOverride(options, entries.length);
  const out: ImageInfo[] = [];
  for (const e of entries) {
    if (typeof e.Config !== 'string' || !Array.isArray(e.Layers)) {
      throw new TemplateError(
        'SBX_TEMPLATES_INVALID_IMAGE',
        'a manifest.json entry lacks Config or Layers',
      );
    }
    const config = await files.blob(e.Config);
    if (!config) throw missing(`the image config ${e.Config}`);
    const layers: Descriptor[] = [];
    for (const path of e.Layers) {
      const b = typeof path === 'string' ? await files.blob(path) : undefined;
      if (!b) throw missing(`the layer ${String(path)}`);
      const kind = sniffCompression(b.head);
      const mediaType =
        kind === 'gzip'
          ? MEDIA.ociLayerGzip
          : kind === 'zstd'
            ? MEDIA.ociLayerZstd
            : MEDIA.ociLayer;
      layers.push({ mediaType, digest: b.digest, size: b.size });
    }
    const manifest = {
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: MEDIA.ociConfig, digest: config.digest, size: config.size },
      layers,
    };
    const tags =
      names ??
      (Array.isArray(e.RepoTags)
        ? e.RepoTags.filter((t): t is string => typeof t === 'string')
        : []);
    const refs = tags.map((t) => parseReference(t).canonical);
    out.push(await store.commit(Buffer.from(JSON.stringify(manifest)), refs, options.onProgress));
  }
  return out;
}

/** Commits the images an OCI image layout's index.json lists (the host's platform of multi-platform ones). */
export async function importOciLayout(
  store: Store,
  files: ArchiveFiles,
  options: ImportOptions,
): Promise<ImageInfo[]> {
  const index = parseIndex(files.file('index.json')!);
  if (index.manifests.length === 0)
    throw new TemplateError('SBX_TEMPLATES_INVALID_IMAGE', 'index.json lists no images');
  // A multi-platform export may list one manifest per platform at the top: take this host's.
  const host = hostPlatform();
  const fits = (d: Descriptor) =>
    !d.platform || (d.platform.os === host.os && d.platform.architecture === host.architecture);
  const tops = index.manifests.filter(fits);
  if (tops.length === 0) selectPlatform(index, host);
  const names = nameOverride(options, tops.length);
  const out: ImageInfo[] = [];
  for (const top of tops) {
    let desc = top;
    let bytes = await verifiedBlob(store, files, desc);
    for (let depth = 0; isIndex(bytes, desc.mediaType); depth++) {
      if (depth > 4)
        throw new TemplateError('SBX_TEMPLATES_INVALID_IMAGE', 'image indexes are nested too deep');
      desc = selectPlatform(parseIndex(bytes));
      bytes = await verifiedBlob(store, files, desc);
    }
    const manifest = parseJson<{ config?: unknown; layers?: unknown[] }>(
      bytes,
      `manifest ${desc.digest}`,
    );
    const wanted = [manifest.config, ...(Array.isArray(manifest.layers) ? manifest.layers : [])];
    for (const d of wanted)
      await verifiedBlob(store, files, parseDescriptor(d, `manifest ${desc.digest}`), false);
    const name = top.annotations?.[CONTAINERD_NAME] ?? top.annotations?.[REF_NAME];
    const refs = names ?? (name && /[/:]/.test(name) ? [parseReference(name).canonical] : []);
    out.push(await store.commit(bytes, refs, options.onProgress));
  }
  return out;
}

async function verifiedBlob(
  store: Store,
  files: ArchiveFiles,
  d: Descriptor,
  read = true,
): Promise<Buffer> {
  const path = `blobs/${d.digest.replace(':', '/')}`;
  const b = await files.blob(path);
  if (!b) throw missing(`blob ${d.digest}`);
  if (b.digest !== d.digest || b.size !== d.size) {
    throw new TemplateError(
      'SBX_TEMPLATES_DIGEST_MISMATCH',
      `${path} has digest ${b.digest} (${b.size} bytes), but the image expects ${d.digest} (${d.size} bytes): the archive is corrupt or tampered with`,
    );
  }
  return read ? store.blobs.read(d.digest) : Buffer.alloc(0);
}

function nameOverride(options: ImportOptions, count: number): string[] | undefined {
  if (options.tag === undefined) return undefined;
  if (count > 1)
    throw new TemplateError(
      'SBX_TEMPLATES_INVALID_IMAGE',
      `the archive holds ${count} images: a single tag cannot name them all`,
    );
  return [parseReference(options.tag).canonical];
}
