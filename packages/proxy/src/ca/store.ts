import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ProxyError } from '../errors.ts';
import {
  type CertificateAuthority,
  createCertificateAuthority,
  loadCertificateAuthority,
} from './authority.ts';

/** Where a sandbox keeps its proxy CA: `<dir>/proxy_cacerts/proxy-ca.crt` and `proxy-ca.key`. */
export function certificateAuthorityPaths(dir: string): { dir: string; cert: string; key: string } {
  const caDir = join(dir, 'proxy_cacerts');
  return { dir: caDir, cert: join(caDir, 'proxy-ca.crt'), key: join(caDir, 'proxy-ca.key') };
}

/**
 * Loads the CA saved under `<dir>/proxy_cacerts/`, or makes one (subject naming `sandbox`)
 * and saves it there: the key 0600, written before the certificate so a reader never finds
 * a certificate without its key. Two processes racing here end up with the same CA.
 */
export async function loadOrCreateCertificateAuthority(
  dir: string,
  sandbox: string | null = null,
): Promise<CertificateAuthority> {
  const paths = certificateAuthorityPaths(dir);
  const existing = await readPair(paths);
  if (existing) return loadCertificateAuthority(existing);
  const ca = await createCertificateAuthority({ sandbox });
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  const won = await publish(paths.key, ca.keyPem, 0o600);
  if (!won) {
    const pair = await waitForPair(paths);
    return loadCertificateAuthority(pair);
  }
  await publish(paths.cert, ca.certPem, 0o644);
  return ca;
}

async function readPair(paths: {
  cert: string;
  key: string;
}): Promise<{ certPem: string; keyPem: string } | undefined> {
  const [certPem, keyPem] = await Promise.all([readOptional(paths.cert), readOptional(paths.key)]);
  if (certPem !== undefined && keyPem !== undefined) return { certPem, keyPem };
  if (certPem !== undefined) {
    throw new ProxyError(
      'SBX_PROXY_CA_INVALID',
      `the proxy CA certificate ${paths.cert} has no key next to it; delete it to have a new CA made`,
    );
  }
  return undefined;
}

async function waitForPair(paths: { cert: string; key: string }) {
  for (let i = 0; i < 100; i++) {
    const pair = await readPair(paths);
    if (pair) return pair;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new ProxyError(
    'SBX_PROXY_CA_INVALID',
    `the proxy CA key ${paths.key} has no certificate next to it; delete it to have a new CA made`,
  );
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ProxyError('SBX_PROXY_CA_IO', `cannot read ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Writes a temp file and hard-links it into place: atomic, and fails if the file exists. */
async function publish(path: string, content: string, mode: number): Promise<boolean> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, content, { mode, flag: 'wx' });
  await chmod(temp, mode);
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new ProxyError('SBX_PROXY_CA_IO', `cannot write ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    await rm(temp, { force: true });
  }
}
