import { createReadStream } from 'node:fs';
import { TemplateError } from '../errors.ts';
import { parseManifest } from '../image/parse.ts';
import { MEDIA } from '../image/types.ts';
import { parseReference } from '../reference.ts';
import type { Store } from '../store/store.ts';
import { RegistryClient, type RegistryOptions } from './client.ts';

export interface PushOptions extends RegistryOptions {
  onProgress?: (p: { phase: 'upload'; digest: string; done: boolean }) => void;
}

/**
 * Pushes an image from the store to a registry: blobs the registry lacks (monolithic uploads),
 * then the manifest under the target's tag. Returns the manifest digest.
 */
export async function pushImage(
  store: Store,
  source: string,
  target: string = source,
  options: PushOptions = {},
): Promise<{ reference: string; digest: string }> {
  const ref = parseReference(target);
  const image = await store.resolve(source);
  const bytes = await store.blobs.read(image.digest);
  const manifest = parseManifest(bytes);
  const client = new RegistryClient(ref.registry, ref.repository, options);
  await client.authorize('pull,push');
  for (const d of [...manifest.layers, manifest.config]) {
    const head = await client.request(`/blobs/${d.digest}`, {
      method: 'HEAD',
      actions: 'pull,push',
    });
    await head.body.dump();
    if (head.statusCode === 200) {
      options.onProgress?.({ phase: 'upload', digest: d.digest, done: true });
      continue;
    }
    const start = await client.request('/blobs/uploads/', {
      method: 'POST',
      actions: 'pull,push',
      body: Buffer.alloc(0),
    });
    await start.body.dump();
    const location = start.headers.location;
    if (start.statusCode !== 202 || typeof location !== 'string')
      throw await client.fail(start, `cannot start uploading ${d.digest}`);
    const url = new URL(location, `http://${client.host}`);
    url.searchParams.set('digest', d.digest);
    const upload = location.startsWith('http') ? url.toString() : `${url.pathname}${url.search}`;
    const put = await client.request(
      upload.startsWith('/v2/') ? upload.replace(`/v2/${ref.repository}`, '') : upload,
      {
        method: 'PUT',
        actions: 'pull,push',
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(d.size) },
        body: createReadStream(store.blobs.path(d.digest)),
      },
    );
    if (put.statusCode !== 201) throw await client.fail(put, `cannot upload ${d.digest}`);
    await put.body.dump();
    options.onProgress?.({ phase: 'upload', digest: d.digest, done: true });
  }
  const tagOrDigest = ref.tag ?? ref.digest ?? image.digest;
  const res = await client.request(`/manifests/${tagOrDigest}`, {
    method: 'PUT',
    actions: 'pull,push',
    headers: { 'content-type': manifest.mediaType ?? MEDIA.ociManifest },
    body: bytes,
  });
  if (res.statusCode !== 201)
    throw await client.fail(res, `cannot push the manifest of ${ref.canonical}`);
  await res.body.dump();
  const digest = res.headers['docker-content-digest'];
  if (typeof digest === 'string' && digest !== image.digest) {
    throw new TemplateError(
      'SBX_TEMPLATES_DIGEST_MISMATCH',
      `registry ${ref.registry} stored the manifest as ${digest}, expected ${image.digest}`,
    );
  }
  return { reference: ref.canonical, digest: image.digest };
}
