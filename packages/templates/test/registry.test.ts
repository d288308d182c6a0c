import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushImage } from '../src/registry/push.ts';
import { openStore, type ProgressEvent } from '../src/store/store.ts';
import { configFor, dockerArchive, manifestFor, sha, writeOciLayout } from './helpers/image.ts';
import {
  hasOpenssl,
  hasRegistry,
  type Registry,
  startFront,
  startRegistry,
  startTokenServer,
  type TokenServer,
} from './helpers/registry.ts';
import { tar } from './helpers/tar-writer.ts';
import { listTree, suiteDir, tempDir } from './helpers/tmp.ts';

if (!hasRegistry)
  console.warn(
    'skipping registry tests: docker-registry (Debian package docker-registry) is not installed',
  );
if (!hasOpenssl) console.warn('skipping token-auth registry tests: openssl is not installed');

const L1 = gzipSync(
  tar([
    { name: 'bin/tool', data: 'v1', mode: 0o755 },
    { name: 'etc/big', data: Buffer.alloc(300_000, 3) },
  ]),
);
const L2 = gzipSync(tar([{ name: 'etc/motd', data: 'hello' }]));
const TREE = ['bin/', 'bin/tool', 'etc/', 'etc/big', 'etc/motd'];

/** A store holding one two-layer image tagged `local/tool:1`. */
async function seededStore(dir: string) {
  writeOciLayout(join(dir, 'layout'), [L1, L2]);
  const store = openStore({ root: join(dir, 'seed') });
  const [img] = await store.importArchive(join(dir, 'layout'), { tag: 'local/tool:1' });
  return { store, img: img! };
}

describe.skipIf(!hasRegistry)('registry (anonymous docker-registry on 127.0.0.1)', () => {
  let reg: Registry;
  let dir: string;
  let suite: ReturnType<typeof suiteDir>;
  beforeAll(async () => {
    suite = suiteDir();
    dir = suite.path;
    reg = await startRegistry(dir);
  });
  afterAll(async () => {
    await reg?.stop();
    suite?.remove();
  });

  it('pushes an image and pulls it into a fresh store with the same digest and tree', async () => {
    const work = tempDir();
    const { store, img } = await seededStore(work);
    const target = `${reg.host}/team/tool:v1`;
    expect(await pushImage(store, 'local/tool:1', target)).toEqual({
      reference: target,
      digest: img.digest,
    });
    // A second push finds every blob already there.
    expect(await pushImage(store, 'local/tool:1', target)).toEqual({
      reference: target,
      digest: img.digest,
    });

    const fresh = openStore({ root: join(work, 'fresh') });
    const events: ProgressEvent[] = [];
    const [a, b] = await Promise.all([
      fresh.pull(target, { onProgress: (p) => events.push(p) }),
      fresh.pull(target),
    ]);
    expect(a).toEqual({ ...img, reference: target, rootfs: a!.rootfs });
    expect(b).toEqual(a);
    expect(listTree(a!.rootfs)).toEqual(TREE);
    const downloads = events.filter((e) => e.phase === 'download');
    expect(downloads.at(-1)).toEqual({
      phase: 'download',
      digest: expect.any(String),
      current: expect.any(Number),
      total: expect.any(Number),
    });
    expect(events.at(-1)).toEqual({ phase: 'done', digest: img.digest });

    const byDigest = await openStore({ root: join(work, 'by-digest') }).pull(
      `${reg.host}/team/tool@${img.digest}`,
    );
    expect(byDigest.digest).toBe(img.digest);
  });

  it.skipIf(spawnSync('skopeo', ['--version']).status !== 0)(
    'pulls a Docker schema 2 image that skopeo pushed',
    async () => {
      const work = tempDir();
      writeFileSync(join(work, 'src.tar'), dockerArchive([L1, L2], ['src:1']));
      execFileSync(
        'skopeo',
        [
          'copy',
          '-q',
          '--dest-tls-verify=false',
          '--format',
          'v2s2',
          `docker-archive:${join(work, 'src.tar')}`,
          `docker://${reg.host}/team/skopeo:v2s2`,
        ],
        { stdio: 'pipe' },
      );
      const img = await openStore({ root: join(work, 'fresh') }).pull(
        `${reg.host}/team/skopeo:v2s2`,
      );
      const manifest = JSON.parse(
        (await openStore({ root: join(work, 'fresh') }).blobs.read(img.digest)).toString(),
      );
      expect(manifest.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
      expect(listTree(img.rootfs)).toEqual(TREE);
    },
  );

  it('says clearly when the tag does not exist', async () => {
    const store = openStore({ root: join(tempDir(), 's') });
    await expect(store.pull(`${reg.host}/team/nothing:v9`)).rejects.toThrow(
      `cannot pull ${reg.host}/team/nothing:v9: registry ${reg.host} has no such team/nothing content (HTTP 404, MANIFEST_UNKNOWN: manifest unknown)`,
    );
  });

  it('picks the host platform from a multi-platform index and explains a missing one', async () => {
    const work = tempDir();
    const { store } = await seededStore(work);
    await pushImage(store, 'local/tool:1', `${reg.host}/team/multi:amd`);
    const arm = configFor([L2], { architecture: 'arm64', variant: 'v8' });
    const armManifest = manifestFor(arm, [L2]);
    mkdirSync(join(work, 'arm'));
    // Push the arm64 image's blobs through a layout import and a push by digest.
    const armStore = openStore({ root: join(work, 'armstore') });
    await armStore.blobs.put(arm);
    await armStore.blobs.put(L2);
    const armImg = await armStore.commit(armManifest, ['local/arm:1']).catch((e: Error) => e);
    expect(armImg).toBeInstanceOf(Object);
    await pushImage(armStore, 'local/arm:1', `${reg.host}/team/multi:arm`);
    const amdDigest = (await store.resolve('local/tool:1')).digest;
    const size = async (d: string) =>
      (await store.blobs.read(d).catch(() => armStore.blobs.read(d))).length;
    const index = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: sha(armManifest),
          size: armManifest.length,
          platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        },
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: amdDigest,
          size: await size(amdDigest),
          platform: { os: 'linux', architecture: 'amd64' },
        },
      ],
    };
    const put = await request(`http://${reg.host}/v2/team/multi/manifests/latest`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' },
      body: JSON.stringify(index),
    });
    expect(put.statusCode).toBe(201);
    await put.body.dump();
    const fresh = openStore({ root: join(work, 'fresh') });
    const host = process.arch === 'x64' ? 'amd64' : 'arm64';
    const img = await fresh.pull(`${reg.host}/team/multi`);
    expect(img.platform).toBe(host === 'amd64' ? 'linux/amd64' : 'linux/arm64/v8');
    await expect(
      fresh.pull(`${reg.host}/team/multi:latest`, {
        platform: { os: 'linux', architecture: 's390x' },
      }),
    ).rejects.toThrow(
      'the image has no linux/s390x variant (it offers: linux/arm64/v8, linux/amd64)',
    );
  });

  it('resumes a blob download cut off midway with a Range request', async () => {
    const work = tempDir();
    const { store, img } = await seededStore(work);
    await pushImage(store, 'local/tool:1', `${reg.host}/team/resume:v1`);
    let cut = false;
    const front = await startFront(reg.host, (method, url) => {
      if (method === 'GET' && url.includes(`/blobs/${sha(L1)}`) && !cut) {
        cut = true;
        return 'cut';
      }
      return 'pass';
    });
    try {
      const pulled = await openStore({ root: join(work, 'fresh') }).pull(
        `${front.host}/team/resume:v1`,
      );
      expect(pulled.digest).toBe(img.digest);
      expect(listTree(pulled.rootfs)).toEqual(TREE);
      const gets = front.seen.filter((s) => s.url.includes(`/blobs/${sha(L1)}`));
      expect(gets.length).toBe(2);
      expect(gets[1]!.range).toMatch(/^bytes=[1-9]\d*-$/);
    } finally {
      await front.stop();
    }
  });

  it.each([
    [
      'a redirect to plain HTTP on another host',
      { redirect: 'http://sbx-test.invalid/blob' },
      'redirected to plain HTTP (sbx-test.invalid): refused',
    ],
    [
      'a token realm over plain HTTP on another host',
      {
        status: 401,
        headers: { 'www-authenticate': 'Bearer realm="http://sbx-test.invalid/token",service="x"' },
      },
      'sent its token realm over plain HTTP (sbx-test.invalid): refused',
    ],
  ])('refuses %s without connecting to it', async (_n, action, message) => {
    const work = tempDir();
    const { store } = await seededStore(work);
    await pushImage(store, 'local/tool:1', `${reg.host}/team/plain:v1`);
    const front = await startFront(reg.host, (method, url) =>
      method === 'GET' && url.includes('/blobs/') ? action : 'pass',
    );
    try {
      const err = await openStore({ root: join(work, 'fresh') })
        .pull(`${front.host}/team/plain:v1`)
        .catch((e: unknown) => e);
      expect((err as { code: string }).code).toBe('SBX_TEMPLATES_INSECURE');
      expect((err as Error).message).toContain(message);
    } finally {
      await front.stop();
    }
  });

  it.each([
    [
      'a blob whose bytes do not match its digest',
      'tamper' as const,
      'SBX_TEMPLATES_DIGEST_MISMATCH',
      'the source served corrupt or tampered content',
    ],
    [
      'a manifest pointing at a missing blob',
      'notfound' as const,
      'SBX_TEMPLATES_NOT_FOUND',
      'cannot download blob',
    ],
  ])('refuses %s and stores nothing', async (_n, action, code, message) => {
    const work = tempDir();
    const { store } = await seededStore(work);
    await pushImage(store, 'local/tool:1', `${reg.host}/team/bad:v1`);
    const front = await startFront(reg.host, (method, url) =>
      method === 'GET' && url.includes(`/blobs/${sha(L2)}`) ? action : 'pass',
    );
    try {
      const fresh = openStore({ root: join(work, 'fresh') });
      const err = await fresh.pull(`${front.host}/team/bad:v1`).catch((e: unknown) => e);
      expect((err as { code: string }).code).toBe(code);
      expect((err as Error).message).toContain(message);
      expect(await fresh.list()).toEqual([]);
      expect(listTree(fresh.tmpDir)).toEqual([]);
    } finally {
      await front.stop();
    }
  });
});

describe.skipIf(!hasRegistry || !hasOpenssl)('registry behind bearer-token auth', () => {
  let reg: Registry;
  let tokens: TokenServer;
  let dir: string;
  let suite: ReturnType<typeof suiteDir>;
  const user = { username: 'agent', password: 's3cret-pw' };
  beforeAll(async () => {
    suite = suiteDir();
    dir = suite.path;
    tokens = await startTokenServer(dir, user);
    reg = await startRegistry(dir, tokens);
  });
  afterAll(async () => {
    await reg?.stop();
    await tokens?.stop();
    suite?.remove();
  });

  it('pushes and pulls with credentials from $DOCKER_CONFIG/config.json', async () => {
    const work = tempDir();
    const dockerConfig = join(work, 'docker');
    mkdirSync(dockerConfig);
    writeFileSync(
      join(dockerConfig, 'config.json'),
      JSON.stringify({
        auths: {
          [reg.host]: { auth: Buffer.from(`${user.username}:${user.password}`).toString('base64') },
        },
      }),
    );
    const env = { DOCKER_CONFIG: dockerConfig };
    const { store, img } = await seededStore(work);
    await pushImage(store, 'local/tool:1', `${reg.host}/private/tool:v1`, { env });
    const pulled = await openStore({ root: join(work, 'fresh') }).pull(
      `${reg.host}/private/tool:v1`,
      { env },
    );
    expect(pulled.digest).toBe(img.digest);
    expect(listTree(pulled.rootfs)).toEqual(TREE);
    expect(new Set(tokens.requests.map((r) => `${r.user} ${r.scope}`))).toEqual(
      new Set(['agent repository:private/tool:pull,push', 'agent repository:private/tool:pull']),
    );
  });

  it.each([
    ['credsStore', (host: string) => ({ credsStore: 'sbxtest', auths: { [host]: {} } })],
    ['credHelpers', (host: string) => ({ credHelpers: { [host]: 'sbxtest' } })],
  ])('asks the %s credential helper named in config.json', async (_n, config) => {
    const work = tempDir();
    const bin = join(work, 'bin');
    mkdirSync(bin);
    // A helper that knows one server, as docker-credential-* helpers answer `get`.
    writeFileSync(
      join(bin, 'docker-credential-sbxtest'),
      `#!/bin/sh\nread server\n[ "$server" = "${reg.host}" ] || { echo "credentials not found" >&2; exit 1; }\necho '{"ServerURL":"${reg.host}","Username":"${user.username}","Secret":"${user.password}"}'\n`,
      { mode: 0o755 },
    );
    const dockerConfig = join(work, 'docker');
    mkdirSync(dockerConfig);
    writeFileSync(join(dockerConfig, 'config.json'), JSON.stringify(config(reg.host)));
    const env = { DOCKER_CONFIG: dockerConfig, PATH: `${bin}:${process.env.PATH}` };
    const { store, img } = await seededStore(work);
    await pushImage(store, 'local/tool:1', `${reg.host}/private/helper:v1`, { env });
    const pulled = await openStore({ root: join(work, 'fresh') }).pull(
      `${reg.host}/private/helper:v1`,
      { env },
    );
    expect(pulled.digest).toBe(img.digest);
  });

  it('follows a blob redirect to another host without the registry token', async () => {
    const work = tempDir();
    const { store, img } = await seededStore(work);
    await pushImage(store, 'local/tool:1', `${reg.host}/private/cdn:v1`, { credentials: user });
    const cdnSeen: (string | undefined)[] = [];
    const cdn = createServer((req, res) => {
      cdnSeen.push(req.headers.authorization);
      const digest = req.url!.slice(1);
      res.end(digest === sha(L1) ? L1 : L2);
    });
    await new Promise<void>((r) => cdn.listen(0, '127.0.0.1', r));
    const cdnHost = `127.0.0.1:${(cdn.address() as AddressInfo).port}`;
    const front = await startFront(reg.host, (method, url) => {
      const m = /\/blobs\/(sha256:[a-f0-9]{64})$/.exec(url);
      return method === 'GET' && m && m[1] !== img.id
        ? { redirect: `http://${cdnHost}/${m[1]}` }
        : 'pass';
    });
    try {
      const pulled = await openStore({ root: join(work, 'fresh') }).pull(
        `${front.host}/private/cdn:v1`,
        { credentials: user },
      );
      expect(pulled.digest).toBe(img.digest);
      expect(cdnSeen).toEqual([undefined, undefined]);
      expect(front.seen.some((s) => s.url.includes('/manifests/'))).toBe(true);
    } finally {
      await front.stop();
      await new Promise<void>((r) => cdn.close(() => r()));
    }
  });

  it('fails anonymously with a hint to log in, and never echoes the password', async () => {
    const store = openStore({ root: join(tempDir(), 's') });
    const anon = await store
      .pull(`${reg.host}/private/tool:v1`, { env: { DOCKER_CONFIG: tempDir() } })
      .catch((e: Error) => e);
    expect((anon as Error).message).toBe(
      `access to private/tool on ${reg.host} was denied (HTTP 401) by its token service anonymously: log in with docker login`,
    );
    const wrong = await store
      .pull(`${reg.host}/private/tool:v1`, {
        credentials: { username: 'agent', password: 'wrong-pw' },
      })
      .catch((e: Error) => e);
    expect((wrong as Error).message).toBe(
      `access to private/tool on ${reg.host} was denied (HTTP 401) by its token service for the credentials in config.json`,
    );
    expect(
      JSON.stringify([anon, wrong, (anon as Error).stack, (wrong as Error).stack]),
    ).not.toMatch(/wrong-pw|s3cret/);
  });
});
