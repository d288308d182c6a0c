import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCertificateAuthority, loadCertificateAuthority } from './authority.ts';
import { x509 } from './crypto.ts';
import { certificateAuthorityPaths, loadOrCreateCertificateAuthority } from './store.ts';

const HOUR = 3_600_000;
let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('createCertificateAuthority', () => {
  it('makes a ten-year P-256 CA naming the sandbox', async () => {
    const ca = await createCertificateAuthority({ sandbox: 'claude-project' });
    const cert = new x509.X509Certificate(ca.certPem);
    const years = (cert.notAfter.getTime() - cert.notBefore.getTime() - HOUR) / (365 * 24 * HOUR);
    expect({
      subject: cert.subject,
      years: Math.round(years),
      ca: cert.getExtension(x509.BasicConstraintsExtension)?.ca,
      usages: cert.getExtension(x509.KeyUsagesExtension)?.usages,
      curve: (cert.publicKey.algorithm as { namedCurve?: string }).namedCurve,
    }).toEqual({
      subject: 'CN=sbx proxy CA for sandbox claude-project, O=sbx',
      years: 10,
      ca: true,
      usages: x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
      curve: 'P-256',
    });
  });
});

describe('leaf certificates', () => {
  it.each([
    ['api.example.com', 'DNS:api.example.com'],
    ['127.0.0.1', 'IP Address:127.0.0.1'],
    ['::1', 'IP Address:0:0:0:0:0:0:0:1'],
  ])('mints %s with SAN %s, signed by the CA, valid from an hour ago', async (host, san) => {
    const ca = await createCertificateAuthority();
    await ca.secureContext(host);
    const leaf = await mintedLeaf(ca, host);
    const issuer = new X509Certificate(ca.certPem);
    expect(leaf.subjectAltName).toBe(san);
    expect(leaf.verify(issuer.publicKey)).toBe(true);
    const skew = Date.now() - Date.parse(leaf.validFrom);
    expect(skew > HOUR - 60_000 && skew < HOUR + 60_000).toBe(true);
  });

  it('mints once per host (single flight) and keeps a bounded number of contexts', async () => {
    const ca = await createCertificateAuthority({ maxContexts: 2 });
    const [a1, a2] = await Promise.all([ca.secureContext('a.test'), ca.secureContext('a.test')]);
    expect(a1).toBe(a2);
    await ca.secureContext('b.test');
    expect(await ca.secureContext('a.test')).toBe(a1);
    await ca.secureContext('c.test');
    await ca.secureContext('d.test');
    expect(await ca.secureContext('a.test')).not.toBe(a1);
  });
});

describe('loadOrCreateCertificateAuthority', () => {
  it('saves the CA under proxy_cacerts with a 0600 key and loads it back', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sbx-ca-'));
    const [first, racing] = await Promise.all([
      loadOrCreateCertificateAuthority(dir, 'sb'),
      loadOrCreateCertificateAuthority(dir, 'sb'),
    ]);
    const paths = certificateAuthorityPaths(dir);
    expect(paths.cert).toBe(join(dir, 'proxy_cacerts', 'proxy-ca.crt'));
    expect((await stat(paths.key)).mode & 0o777).toBe(0o600);
    expect(await readFile(paths.cert, 'utf8')).toBe(first.certPem);
    expect(racing.certPem).toBe(first.certPem);
    const again = await loadOrCreateCertificateAuthority(dir, 'sb');
    expect(again.certPem).toBe(first.certPem);
  });

  it('refuses a key that does not belong to the certificate', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sbx-ca-'));
    await loadOrCreateCertificateAuthority(dir, 'sb');
    const other = await createCertificateAuthority();
    await writeFile(certificateAuthorityPaths(dir).key, other.keyPem);
    await expect(loadOrCreateCertificateAuthority(dir, 'sb')).rejects.toMatchObject({
      code: 'SBX_PROXY_CA_INVALID',
    });
    await expect(
      loadCertificateAuthority({ certPem: 'garbage', keyPem: other.keyPem }),
    ).rejects.toMatchObject({ code: 'SBX_PROXY_CA_INVALID' });
  });
});

/** The certificate a TLS client sees for `host`. */
async function mintedLeaf(
  ca: Awaited<ReturnType<typeof createCertificateAuthority>>,
  host: string,
): Promise<X509Certificate> {
  const { createServer } = await import('node:net');
  const { connect, TLSSocket } = await import('node:tls');
  const context = await ca.secureContext(host);
  // The way the proxy serves a leaf: a server-side TLSSocket with the host's context.
  const server = createServer((raw) => {
    const tls = new TLSSocket(raw, { isServer: true, secureContext: context });
    tls.on('error', () => raw.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const cert = await new Promise<X509Certificate>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerX509Certificate()!);
      socket.destroy();
    });
    socket.on('error', reject);
  });
  await new Promise((r) => server.close(r));
  return cert;
}
