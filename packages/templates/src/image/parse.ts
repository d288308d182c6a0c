import { TemplateError } from '../errors.ts';
import { isSha256Digest } from '../reference.ts';
import {
  type ConfigFile,
  type Descriptor,
  INDEX_TYPES,
  type Index,
  MANIFEST_TYPES,
  type Manifest,
  type Platform,
} from './types.ts';

function invalid(what: string, why: string): TemplateError {
  return new TemplateError('SBX_TEMPLATES_INVALID_IMAGE', `invalid ${what}: ${why}`);
}

function json(bytes: Buffer | string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString());
  } catch (err) {
    throw invalid(what, `not JSON (${(err as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw invalid(what, 'not a JSON object');
  return v as Record<string, unknown>;
}

const MAX_BLOB = 2 ** 42;
const MAX_LAYERS = 128;
/** Configs are read into memory, so a manifest may not declare a bigger one. */
export const MAX_CONFIG = 8 << 20;

export function parseDescriptor(v: unknown, what: string): Descriptor {
  const d = v as Partial<Descriptor> | null;
  if (typeof d !== 'object' || d === null) throw invalid(what, 'a descriptor is not an object');
  if (typeof d.digest !== 'string' || !isSha256Digest(d.digest)) {
    throw invalid(what, `descriptor digest ${JSON.stringify(d.digest)} is not sha256:<64 hex>`);
  }
  if (
    typeof d.size !== 'number' ||
    !Number.isSafeInteger(d.size) ||
    d.size < 0 ||
    d.size > MAX_BLOB
  ) {
    throw invalid(what, `descriptor ${d.digest} has an invalid size ${JSON.stringify(d.size)}`);
  }
  const out: Descriptor = {
    mediaType: typeof d.mediaType === 'string' ? d.mediaType : '',
    digest: d.digest,
    size: d.size,
  };
  if (d.platform && typeof d.platform === 'object') out.platform = d.platform as Platform;
  if (d.annotations && typeof d.annotations === 'object') out.annotations = d.annotations;
  return out;
}

/** Whether a manifest document is an index (OCI index or Docker manifest list). */
export function isIndex(bytes: Buffer, mediaType?: string): boolean {
  if (mediaType && INDEX_TYPES.includes(mediaType)) return true;
  if (mediaType && MANIFEST_TYPES.includes(mediaType)) return false;
  const doc = json(bytes, 'manifest');
  return (
    Array.isArray(doc.manifests) ||
    (typeof doc.mediaType === 'string' && INDEX_TYPES.includes(doc.mediaType))
  );
}

export function parseIndex(bytes: Buffer): Index {
  const doc = json(bytes, 'image index');
  if (doc.schemaVersion !== 2)
    throw invalid('image index', `schemaVersion ${JSON.stringify(doc.schemaVersion)} is not 2`);
  if (!Array.isArray(doc.manifests)) throw invalid('image index', 'it has no manifests list');
  return {
    schemaVersion: 2,
    ...(typeof doc.mediaType === 'string' ? { mediaType: doc.mediaType } : {}),
    manifests: doc.manifests.map((m) => parseDescriptor(m, 'image index')),
  };
}

export function parseManifest(bytes: Buffer): Manifest {
  const doc = json(bytes, 'image manifest');
  if (doc.schemaVersion !== 2) {
    throw invalid(
      'image manifest',
      `schemaVersion ${JSON.stringify(doc.schemaVersion)} is not 2 (schema 1 images are not supported)`,
    );
  }
  if (!Array.isArray(doc.layers)) throw invalid('image manifest', 'it has no layers list');
  if (doc.layers.length > MAX_LAYERS) {
    throw invalid(
      'image manifest',
      `it has ${doc.layers.length} layers, more than the ${MAX_LAYERS} an image may have`,
    );
  }
  const config = parseDescriptor(doc.config, 'image manifest');
  if (config.size > MAX_CONFIG) {
    throw invalid(
      'image manifest',
      `its config is declared as ${config.size} bytes, more than the ${MAX_CONFIG} allowed`,
    );
  }
  return {
    schemaVersion: 2,
    ...(typeof doc.mediaType === 'string' ? { mediaType: doc.mediaType } : {}),
    config,
    layers: doc.layers.map((l) => parseDescriptor(l, 'image manifest')),
  };
}

function strings(v: unknown): string[] | null {
  return Array.isArray(v) && v.every((s) => typeof s === 'string') ? v : null;
}

export function parseConfig(bytes: Buffer): ConfigFile {
  const doc = json(bytes, 'image config');
  const c = (doc.config && typeof doc.config === 'object' ? doc.config : {}) as Record<
    string,
    unknown
  >;
  const rootfs = doc.rootfs as { diff_ids?: unknown } | undefined;
  const diffIds = strings(rootfs?.diff_ids);
  if (!diffIds?.every(isSha256Digest))
    throw invalid('image config', 'rootfs.diff_ids is not a list of sha256 digests');
  const labels: Record<string, string> = {};
  if (c.Labels && typeof c.Labels === 'object') {
    for (const [k, v] of Object.entries(c.Labels)) if (typeof v === 'string') labels[k] = v;
  }
  return {
    architecture: typeof doc.architecture === 'string' ? doc.architecture : '',
    os: typeof doc.os === 'string' ? doc.os : '',
    ...(typeof doc.variant === 'string' ? { variant: doc.variant } : {}),
    ...(typeof doc.created === 'string' ? { created: doc.created } : {}),
    config: {
      User: typeof c.User === 'string' ? c.User : '',
      Env: strings(c.Env) ?? [],
      WorkingDir: typeof c.WorkingDir === 'string' ? c.WorkingDir : '',
      Entrypoint: strings(c.Entrypoint),
      Cmd: strings(c.Cmd),
      Labels: labels,
    },
    diffIds,
  };
}

/** The platform of this host in OCI terms (linux/amd64, linux/arm64). */
export function hostPlatform(): Platform {
  const arch =
    (
      {
        x64: 'amd64',
        arm64: 'arm64',
        arm: 'arm',
        ppc64: 'ppc64le',
        s390x: 's390x',
        riscv64: 'riscv64',
      } as Record<string, string>
    )[process.arch] ?? process.arch;
  return { os: 'linux', architecture: arch };
}

/** Picks the manifest for `platform` from an index; errors list what the index offers. */
export function selectPlatform(index: Index, platform: Platform = hostPlatform()): Descriptor {
  const candidates = index.manifests.filter(
    (m) =>
      m.platform?.os === platform.os &&
      m.platform?.architecture === platform.architecture &&
      MANIFEST_TYPES.includes(m.mediaType || MANIFEST_TYPES[0]!),
  );
  const exact = candidates.find((m) => (m.platform?.variant ?? '') === (platform.variant ?? ''));
  const chosen = exact ?? candidates[0];
  if (chosen) return chosen;
  const offered = index.manifests
    .filter((m) => m.platform)
    .map((m) =>
      [m.platform!.os, m.platform!.architecture, m.platform!.variant].filter(Boolean).join('/'),
    );
  throw new TemplateError(
    'SBX_TEMPLATES_UNSUPPORTED',
    `the image has no ${platform.os}/${platform.architecture} variant (it offers: ${offered.join(', ') || 'none'})`,
  );
}
