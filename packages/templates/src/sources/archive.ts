import { createReadStream, existsSync, statSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TemplateError } from '../errors.ts';
import type { ImageInfo, Store } from '../store/store.ts';
import { decompressor, sniffCompression } from '../unpack/decompress.ts';
import { TarFormatError, TarParser } from '../unpack/tar.ts';
import { ArchiveCollector, type ArchiveFiles } from './collect.ts';
import { type ImportOptions, importDockerArchive, importOciLayout } from './images.ts';

/** Reads an image archive stream (docker save or OCI layout tar, optionally gzip/zstd) into the store. */
export async function importArchiveStream(
  store: Store,
  input: Readable,
  head: Buffer | undefined,
  options: ImportOptions,
  label: string,
): Promise<ImageInfo[]> {
  return store.busy(async () => {
    const collector = new ArchiveCollector(store);
    const parser = new TarParser(collector);
    let failure: unknown;
    const consume = async (source: AsyncIterable<Buffer>) => {
      try {
        let read = 0;
        for await (const chunk of source) {
          read += chunk.length;
          options.onProgress?.({ phase: 'read', source: label, current: read });
          parser.push(chunk);
        }
        parser.end();
      } catch (err) {
        failure ??= err;
        throw err;
      }
    };
    const decomp = head ? decompressor(sniffCompression(head)) : undefined;
    try {
      if (decomp) await pipeline(input, decomp, consume);
      else await pipeline(input, consume);
    } catch (err) {
      collector.abort();
      const e = failure ?? err;
      if (e instanceof TemplateError) throw e;
      const why =
        e instanceof TarFormatError
          ? `it is not a valid tar archive (${e.message})`
          : (e as Error).message;
      throw new TemplateError('SBX_TEMPLATES_INVALID_IMAGE', `cannot read ${label}: ${why}`, {
        cause: e,
      });
    }
    return importFiles(store, collector, options, label);
  });
}

async function importFiles(
  store: Store,
  files: ArchiveFiles,
  options: ImportOptions,
  label: string,
): Promise<ImageInfo[]> {
  if (files.file('index.json') && files.file('oci-layout')) {
    // Docker 25+ writes both; its manifest.json names tags, its index.json only digests.
    if (files.file('manifest.json')) return importDockerArchive(store, files, options);
    return importOciLayout(store, files, options);
  }
  if (files.file('manifest.json')) return importDockerArchive(store, files, options);
  throw new TemplateError(
    'SBX_TEMPLATES_INVALID_IMAGE',
    `${label} is neither a docker save archive (no manifest.json) nor an OCI image layout (no index.json and oci-layout)`,
  );
}

/** Imports `docker save` tarballs and OCI image layouts (directory or tar), compressed or not. */
export async function importArchive(
  store: Store,
  path: string,
  options: ImportOptions = {},
): Promise<ImageInfo[]> {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st)
    throw new TemplateError(
      'SBX_TEMPLATES_NOT_FOUND',
      `"${path}" does not exist: give the path of a docker save tarball or an OCI layout`,
    );
  if (st.isDirectory()) return importLayoutDir(store, path, options);
  const head = await readHead(path);
  return importArchiveStream(
    store,
    createReadStream(path, { highWaterMark: 1 << 20 }),
    head,
    options,
    `"${path}"`,
  );
}

async function importLayoutDir(
  store: Store,
  dir: string,
  options: ImportOptions,
): Promise<ImageInfo[]> {
  if (!existsSync(join(dir, 'oci-layout')) || !existsSync(join(dir, 'index.json'))) {
    throw new TemplateError(
      'SBX_TEMPLATES_INVALID_IMAGE',
      `"${dir}" is not an OCI image layout (it needs oci-layout and index.json)`,
    );
  }
  const small = new Map<string, Buffer>();
  for (const name of ['oci-layout', 'index.json']) small.set(name, await readFile(join(dir, name)));
  const files: ArchiveFiles = {
    file: (name) => small.get(name),
    blob: async (name) => {
      const m = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(name);
      const path = join(dir, name);
      if (!m || !existsSync(path)) return undefined;
      const head = await readHead(path);
      const expected = `sha256:${m[1]}`;
      if (await store.blobs.has(expected))
        return { digest: expected, size: statSync(store.blobs.path(expected)).size, head };
      return {
        ...(await store.blobs.write(createReadStream(path, { highWaterMark: 1 << 20 }), {}, name)),
        head,
      };
    },
  };
  return store.busy(() => importOciLayout(store, files, options));
}

async function readHead(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
