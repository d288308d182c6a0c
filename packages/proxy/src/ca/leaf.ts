import { isIP } from 'node:net';
import type { CryptoKey } from './crypto.ts';
import { EC_ALG, randomSerial, x509 } from './crypto.ts';

const HOUR = 3_600_000;
const LEAF_LIFETIME = 365 * 24 * HOUR;

export interface LeafInput {
  host: string;
  caCert: x509.X509Certificate;
  caKey: CryptoKey;
  leafPublicKey: CryptoKey;
}

/**
 * Mints the certificate the proxy shows for `host` (a canonical name or IP literal).
 * notBefore is an hour back so a sandbox whose clock lags still accepts it.
 */
export async function mintLeaf({ host, caCert, caKey, leafPublicKey }: LeafInput): Promise<string> {
  const now = Date.now();
  const notAfter = new Date(Math.min(now + LEAF_LIFETIME, caCert.notAfter.getTime()));
  const san = isIP(host)
    ? { type: 'ip' as const, value: host }
    : { type: 'dns' as const, value: host };
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    // A common name is at most 64 characters; the SAN is what clients check anyway.
    subject: host.length <= 64 ? [{ CN: [host] }] : [{ O: ['sbx proxy'] }],
    issuer: caCert.subjectName,
    notBefore: new Date(now - HOUR),
    notAfter,
    signingAlgorithm: EC_ALG,
    publicKey: leafPublicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([san]),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return cert.toString('pem');
}
