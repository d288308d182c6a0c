import { Client } from 'undici';
import { TemplateError } from '../errors.ts';
import { parseReference } from '../reference.ts';
import type { ImageInfo, Store } from '../store/store.ts';
import { importArchiveStream } from './archive.ts';
import type { ImportOptions } from './images.ts';

/** Where the Docker Engine API listens: `DOCKER_HOST` (unix:// or tcp://), else /var/run/docker.sock. */
export function dockerEndpoint(env: NodeJS.ProcessEnv = process.env): {
  origin: string;
  socketPath?: string;
} {
  const host = env.DOCKER_HOST || 'unix:///var/run/docker.sock';
  if (host.startsWith('unix://'))
    return { origin: 'http://docker', socketPath: host.slice('unix://'.length) };
  if (host.startsWith('tcp://')) return { origin: `http://${host.slice('tcp://'.length)}` };
  throw new TemplateError(
    'SBX_TEMPLATES_DOCKER',
    `DOCKER_HOST "${host}" is not supported: use unix:///path or tcp://host:port`,
  );
}

export interface DockerOptions extends ImportOptions {
  env?: NodeJS.ProcessEnv;
}

/**
 * Loads an image from the local Docker Engine (`GET /images/{name}/get`), streaming the
 * docker save archive straight into the store: no tarball on disk.
 */
export async function loadFromDocker(
  store: Store,
  reference: string,
  options: DockerOptions = {},
): Promise<ImageInfo> {
  const isId = /^(sha256:)?[a-f0-9]{12,64}$/.test(reference);
  const tag = options.tag ?? (isId ? undefined : parseReference(reference).canonical);
  const { origin, socketPath } = dockerEndpoint(options.env);
  const where = socketPath ?? origin;
  const client = new Client(origin, socketPath ? { socketPath } : {});
  try {
    let res: Awaited<ReturnType<Client['request']>>;
    try {
      res = await client.request({
        method: 'GET',
        path: `/images/${encodeURIComponent(reference)}/get`,
      });
    } catch (err) {
      throw new TemplateError(
        'SBX_TEMPLATES_DOCKER',
        `cannot reach the Docker Engine at ${where}: is it running? (set DOCKER_HOST to use another)`,
        { cause: err },
      );
    }
    if (res.statusCode === 404) {
      await res.body.dump();
      throw new TemplateError(
        'SBX_TEMPLATES_NOT_FOUND',
        `the Docker Engine at ${where} has no image "${reference}": build or pull it there first`,
      );
    }
    if (res.statusCode !== 200) {
      const text = (await res.body.text()).slice(0, 300).trim();
      throw new TemplateError(
        'SBX_TEMPLATES_DOCKER',
        `the Docker Engine refused to export "${reference}" (HTTP ${res.statusCode}): ${text}`,
      );
    }
    const images = await importArchiveStream(
      store,
      res.body,
      undefined,
      { ...options, ...(tag !== undefined ? { tag } : {}) },
      `the Docker Engine's export of "${reference}"`,
    );
    return images[0]!;
  } finally {
    await client.close();
  }
}
