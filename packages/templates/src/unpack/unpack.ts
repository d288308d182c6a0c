import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { TemplateError } from '../errors.ts';
import { Applier, type ApplyStats, type OwnerShift } from './apply.ts';
import { type Compression, decompressor, hasNativeZstd, sniffCompression } from './decompress.ts';
import { inflateOnWorker } from './inflate-worker.ts';
import { TarFormatError, TarParser } from './tar.ts';
import { UnsafePathError } from './tree.ts';
import { applyXattrs } from './xattrs.ts';

const DEFAULT_MAX_BYTES = 64 * 2 ** 30;

export interface LayerFile {
  /** Path of the (possibly compressed) layer blob. */
  path: string;
  /** Digest of the blob, used in messages. */
  digest: string;
  /** Expected sha256 of the uncompressed tar (the config's diff_id); checked when given. */
  diffId?: string;
  size?: number;
}

export interface UnpackProgress {
  phase: 'unpack';
  layer: number;
  layers: number;
  digest: string;
  current: number;
  total: number | undefined;
}

export interface UnpackOptions {
  /** Directory on the same filesystem as `dest` for the work in progress. */
  tmpDir: string;
  /** Keep owners from the layers; defaults to true when running as root. */
  chown?: boolean;
  /** Added to every owner when chowning (root only): see `StoreOptions.ownerShift`. */
  ownerShift?: OwnerShift | undefined;
  /** Refuse images that unpack to more file data than this; default 64 GiB. */
  maxBytes?: number;
  onProgress?: (p: UnpackProgress) => void;
  /**
   * One line each for extended attributes left out (security.*, trusted.*, system.*) or not
   * settable (no setfattr, a filesystem without user xattrs); default: process.emitWarning.
   */
  onWarning?: (message: string) => void;
}

/**
 * Applies `layers` in order into a fresh directory and renames it to `dest`: a failed or
 * refused unpack leaves nothing behind. Throws TemplateError naming the layer and entry.
 */
export async function unpackLayers(
  layers: readonly LayerFile[],
  dest: string,
  options: UnpackOptions,
): Promise<ApplyStats> {
  const chown = options.chown ?? process.geteuid?.() === 0;
  checkOwnerShift(options.ownerShift, chown);
  const work = await mkdtemp(join(options.tmpDir, 'unpack-'));
  const applier = new Applier(work, {
    chown,
    ownerShift: options.ownerShift,
    maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
  });
  try {
    for (const [i, layer] of layers.entries()) {
      applier.layer = i;
      applier.current = undefined;
      await applyLayer(applier, layer, i, layers.length, options.onProgress);
    }
    // Before finish(): rootless, directories are still writable, as setting an attribute needs.
    await applyXattrs(work, applier.tree, applier.xattrs, options.onWarning ?? defaultWarn);
    applier.finish();
    await rename(work, dest);
    return applier.stats;
  } catch (err) {
    applier.abort();
    await rm(work, { recursive: true, force: true });
    throw err;
  }
}

function defaultWarn(message: string): void {
  process.emitWarning(message, { code: 'SBX_TEMPLATES_XATTRS' });
}

/** Refuses a shift that is not a pair of non-negative ids, or that would not be applied (no chown). */
export function checkOwnerShift(shift: OwnerShift | undefined, chown: boolean): void {
  if (shift === undefined) return;
  const valid = (n: number) => Number.isSafeInteger(n) && n >= 0 && n <= 0xfffffffe;
  if (!valid(shift.uid) || !valid(shift.gid)) {
    throw new TemplateError(
      'SBX_TEMPLATES_UNSUPPORTED',
      `ownerShift ${shift.uid}:${shift.gid} is not a pair of non-negative ids: pass e.g. imageOwnerShift() from @sbx/vm`,
    );
  }
  if (!chown) {
    throw new TemplateError(
      'SBX_TEMPLATES_UNSUPPORTED',
      'ownerShift needs owners kept from the layers (chown, which needs root): drop ownerShift or run as root',
    );
  }
}

async function applyLayer(
  applier: Applier,
  layer: LayerFile,
  index: number,
  count: number,
  onProgress: UnpackOptions['onProgress'],
): Promise<void> {
  const label = `layer ${index + 1} of ${count} (${layer.digest})`;
  const parser = new TarParser(applier);
  const kind = sniffCompression(await readHead(layer.path));
  const progress = (current: number) =>
    onProgress?.({
      phase: 'unpack',
      layer: index,
      layers: count,
      digest: layer.digest,
      current,
      total: layer.size,
    });
  let got: string | undefined;
  try {
    if (kind === 'gzip' || (kind === 'zstd' && hasNativeZstd)) {
      const inflated = inflateOnWorker(layer.path, kind, layer.diffId !== undefined);
      for await (const chunk of inflated.chunks) {
        parser.push(chunk);
        progress(inflated.read());
      }
      parser.end();
      got = inflated.digest();
    } else {
      got = await applyOnMainThread(parser, layer, kind, progress);
    }
  } catch (err) {
    throw describe(err, label, applier.current);
  }
  if (layer.diffId !== undefined && got !== layer.diffId) {
    throw new TemplateError(
      'SBX_TEMPLATES_DIGEST_MISMATCH',
      `${label} uncompresses to ${got}, but the image config says ${layer.diffId}: the image is corrupt; remove it (sbx template rm, then prune) and pull or build it again`,
    );
  }
}

/** Plain tar, and zstd where node:zlib lacks it (fzstd): read and decoded on this thread. */
async function applyOnMainThread(
  parser: TarParser,
  layer: LayerFile,
  kind: Compression,
  progress: (current: number) => void,
): Promise<string | undefined> {
  const hash = layer.diffId ? createHash('sha256') : undefined;
  const input = createReadStream(layer.path, { highWaterMark: 1 << 20 });
  const decomp = decompressor(kind);
  let read = 0;
  input.on('data', (c: Buffer | string) => {
    read += c.length;
    progress(read);
  });
  let failure: unknown;
  const consume = async (source: AsyncIterable<Buffer>): Promise<void> => {
    try {
      for await (const chunk of source) {
        hash?.update(chunk);
        parser.push(chunk);
      }
      parser.end();
    } catch (err) {
      failure ??= err;
      throw err;
    }
  };
  try {
    if (decomp) await pipeline(input, decomp, consume);
    else await pipeline(input, consume);
  } catch (err) {
    throw failure ?? err;
  }
  return hash ? `sha256:${hash.digest('hex')}` : undefined;
}

function describe(err: unknown, label: string, entry: string | undefined): TemplateError {
  if (err instanceof TemplateError) return err;
  const where = entry === undefined ? label : `${label}, entry "${entry}"`;
  if (err instanceof UnsafePathError) {
    return new TemplateError(
      'SBX_TEMPLATES_UNSAFE_LAYER',
      `refused ${where}: ${err.message}; the image is not safe to use`,
      { cause: err },
    );
  }
  const msg = err instanceof Error ? err.message : String(err);
  if (err instanceof TarFormatError) {
    return new TemplateError(
      'SBX_TEMPLATES_CORRUPT_LAYER',
      `${where} is not a valid tar stream: ${msg}`,
      { cause: err },
    );
  }
  return new TemplateError('SBX_TEMPLATES_CORRUPT_LAYER', `cannot unpack ${where}: ${msg}`, {
    cause: err,
  });
}

async function readHead(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(4);
    const { bytesRead } = await fh.read(buf, 0, 4, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
