import { setTimeout as sleep } from 'node:timers/promises';
import { TemplateError } from '../errors.ts';
import { isIndex, parseIndex, parseManifest, selectPlatform } from '../image/parse.ts';
import type { Descriptor, Platform } from '../image/types.ts';
import { INDEX_TYPES, MANIFEST_TYPES } from '../image/types.ts';
import { parseReference } from '../reference.ts';
import { sha256 } from '../store/blobs.ts';
import type { ImageInfo, ProgressEvent, Store } from '../store/store.ts';
import { RegistryClient, type RegistryOptions } from './client.ts';

export interface PullOptions extends RegistryOptions {
  onProgress?: (p: ProgressEvent) => void;
  /** Platform to pick from multi-platform images; defaults to this host's. */
  platform?: Platform;
  /** Parallel layer downloads (default 3). */
  concurrency?: number;
  /** Attempts per blob, resuming where the last one stopped (default 5). */
  attempts?: number;
}

const ACCEPT = [...MANIFEST_TYPES, ...INDEX_TYPES].join(', ');
const MAX_MANIFEST = 4 << 20;

/** Pulls `reference` from its registry into the store: verified blobs, unpacked tree, tag. */
export async function pull(
  store: Store,
  reference: string,
  options: PullOptions = {},
): Promise<ImageInfo> {
  const ref = parseReference(reference);
  return store.flights.run(`pull:${ref.canonical}`, () =>
    store.busy(async () => {
      const client = new RegistryClient(ref.registry, ref.repository, options);
      let { bytes, desc } = await fetchManifest(
        client,
        ref.digest ?? ref.tag!,
        ref.digest,
        ref.canonical,
      );
      if (isIndex(bytes, desc.mediaType)) {
        const chosen = selectPlatform(parseIndex(bytes), options.platform);
        ({ bytes } = await fetchManifest(client, chosen.digest, chosen.digest, ref.canonical));
        if (isIndex(bytes))
          throw new TemplateError(
            'SBX_TEMPLATES_UNSUPPORTED',
            `${ref.canonical}: nested image indexes are not supported`,
          );
      }
      const manifest = parseManifest(bytes);
      const blobs = [manifest.config, ...manifest.layers];
      await parallel(blobs, options.concurrency ?? 3, (d) => fetchBlob(store, client, d, options));
      return store.commit(bytes, [ref.canonical], options.onProgress);
    }),
  );
}

async function fetchManifest(
  client: RegistryClient,
  tagOrDigest: string,
  digest: string | undefined,
  what: string,
): Promise<{ bytes: Buffer; desc: Descriptor }> {
  const res = await client.request(`/manifests/${tagOrDigest}`, { headers: { accept: ACCEPT } });
  if (res.statusCode !== 200) throw await client.fail(res, `cannot pull ${what}`);
  const declared = Number(res.headers['content-length'] ?? 0);
  if (declared > MAX_MANIFEST)
    throw new TemplateError(
      'SBX_TEMPLATES_INVALID_IMAGE',
      `${what}: the manifest is ${declared} bytes, more than a manifest can be`,
    );
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res.body) {
    size += (c as Buffer).length;
    if (size > MAX_MANIFEST)
      throw new TemplateError(
        'SBX_TEMPLATES_INVALID_IMAGE',
        `${what}: the manifest is larger than ${MAX_MANIFEST} bytes`,
      );
    chunks.push(c as Buffer);
  }
  const bytes = Buffer.concat(chunks);
  const got = sha256(bytes);
  const header = res.headers['docker-content-digest'];
  const claimed = digest ?? (typeof header === 'string' ? header : undefined);
  if (claimed !== undefined && claimed !== got) {
    throw new TemplateError(
      'SBX_TEMPLATES_DIGEST_MISMATCH',
      `${what}: the registry served a manifest with digest ${got}, expected ${claimed}`,
    );
  }
  const type = String(res.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim();
  return { bytes, desc: { mediaType: type, digest: got, size: bytes.length } };
}

async function fetchBlob(
  store: Store,
  client: RegistryClient,
  d: Descriptor,
  options: PullOptions,
): Promise<void> {
  await store.flights.run(`blob:${d.digest}`, async () => {
    if (await store.blobs.has(d.digest)) return;
    const attempts = options.attempts ?? 5;
    let writer = await store.blobs.writer({ digest: d.digest, size: d.size }, `blob ${d.digest}`);
    try {
      for (let attempt = 1; ; attempt++) {
        const from = writer.written;
        try {
          const res = await client.request(`/blobs/${d.digest}`, {
            headers: from > 0 ? { range: `bytes=${from}-` } : {},
          });
          if (res.statusCode === 200 && from > 0) {
            // The server ignored the range: start over.
            await writer.abort();
            writer = await store.blobs.writer(
              { digest: d.digest, size: d.size },
              `blob ${d.digest}`,
            );
          } else if (res.statusCode !== 200 && res.statusCode !== 206) {
            throw await client.fail(res, `cannot download blob ${d.digest}`);
          }
          for await (const chunk of res.body) {
            await writer.write(chunk as Buffer);
            options.onProgress?.({
              phase: 'download',
              digest: d.digest,
              current: writer.written,
              total: d.size,
            });
          }
          if (writer.written < d.size)
            throw new Error(`connection closed after ${writer.written} of ${d.size} bytes`);
          await writer.commit();
          return;
        } catch (err) {
          const retryable =
            !(err instanceof TemplateError) || err.code === 'SBX_TEMPLATES_REGISTRY';
          if (!retryable) throw err;
          if (attempt >= attempts) {
            throw new TemplateError(
              'SBX_TEMPLATES_REGISTRY',
              `downloading blob ${d.digest} failed ${attempts} times: ${(err as Error).message}`,
              { cause: err },
            );
          }
          await sleep(100 * 2 ** attempt);
        }
      }
    } catch (err) {
      await writer.abort();
      throw err;
    }
  });
}

/** Runs `fn` over `items`, `limit` at a time; after a failure starts no more and waits for the rest. */
async function parallel<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      try {
        await fn(items[next++]!);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.err;
}
