import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import { ProxyError } from '../errors.ts';
import { Lru } from '../lru.ts';
import type { CryptoKey } from './crypto.ts';
import {
  EC_ALG,
  generateKeyPair,
  privateKeyFromPem,
  privateKeyToPem,
  randomSerial,
  subtle,
  x509,
} from './crypto.ts';
import { type LeafIssuer, mintLeaf } from './leaf.ts';

const YEAR = 365 * 24 * 3_600_000;

export interface CertificateAuthorityOptions {
  /** Named in the CA's subject so a user can tell sandboxes' CAs apart. */
  sandbox?: string | null;
  /** How many per-host TLS contexts stay cached (default 1000). */
  maxContexts?: number;
}

/** A proxy CA: its PEMs, and the TLS contexts of the leaves it mints on demand. */
export class CertificateAuthority {
  readonly certPem: string;
  readonly keyPem: string;
  readonly #cert: x509.X509Certificate;
  #issuer: (LeafIssuer & { leafKeyPem: string }) | undefined;
  readonly #contexts: Lru<string, SecureContext>;
  readonly #pending = new Map<string, Promise<SecureContext>>();

  private constructor(cert: x509.X509Certificate, keyPem: string, max: number) {
    this.#cert = cert;
    this.certPem = cert.toString('pem');
    this.keyPem = keyPem;
    this.#contexts = new Lru(max);
  }

  get subject(): string {
    return this.#cert.subject;
  }

  get notAfter(): Date {
    return this.#cert.notAfter;
  }

  /** @internal */
  static async create(options: CertificateAuthorityOptions = {}): Promise<CertificateAuthority> {
    const keys = await generateKeyPair();
    const now = Date.now();
    const name = options.sandbox ? `sbx proxy CA for sandbox ${options.sandbox}` : 'sbx proxy CA';
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: [{ CN: [name.slice(0, 64)] }, { O: ['sbx'] }],
      notBefore: new Date(now - 3_600_000),
      notAfter: new Date(now + 10 * YEAR),
      signingAlgorithm: EC_ALG,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const keyPem = await privateKeyToPem(keys.privateKey);
    return new CertificateAuthority(cert, keyPem, options.maxContexts ?? 1000);
  }

  /** @internal */
  static async load(
    certPem: string,
    keyPem: string,
    maxContexts = 1000,
  ): Promise<CertificateAuthority> {
    try {
      const cert = new x509.X509Certificate(certPem);
      const key = await privateKeyFromPem(keyPem);
      const basic = cert.getExtension(x509.BasicConstraintsExtension);
      if (!basic?.ca) throw new Error('the certificate is not a CA (basicConstraints cA is false)');
      const ok = await cert.verify({ publicKey: await cert.publicKey.export(EC_ALG, ['verify']) });
      if (!ok) throw new Error('the certificate is not self-signed');
      const probe = await CertificateAuthority.#checkPair(cert, key);
      if (!probe) throw new Error('the key does not belong to the certificate');
      return new CertificateAuthority(cert, keyPem, maxContexts);
    } catch (error) {
      throw new ProxyError(
        'SBX_PROXY_CA_INVALID',
        `cannot load the proxy CA: ${(error as Error).message}; delete the CA files to have a new one made`,
        { cause: error },
      );
    }
  }

  static async #checkPair(cert: x509.X509Certificate, key: CryptoKey): Promise<boolean> {
    const data = new Uint8Array([1, 2, 3]);
    const signature = await subtle.sign(EC_ALG, key, data);
    const publicKey = await cert.publicKey.export(EC_ALG, ['verify']);
    return subtle.verify(EC_ALG, publicKey, signature, data);
  }

  /** The TLS context presenting a leaf for `host` (canonical); minted once, then cached. */
  secureContext(host: string): Promise<SecureContext> {
    const cached = this.#contexts.get(host);
    if (cached) return Promise.resolve(cached);
    let pending = this.#pending.get(host);
    if (!pending) {
      pending = this.#mint(host).finally(() => this.#pending.delete(host));
      this.#pending.set(host, pending);
    }
    return pending;
  }

  async #mint(host: string): Promise<SecureContext> {
    const issuer = this.#leafIssuer();
    const cert = mintLeaf(issuer, host);
    const context = createSecureContext({ key: issuer.leafKeyPem, cert, minVersion: 'TLSv1.2' });
    this.#contexts.set(host, context);
    return context;
  }

  /** The one leaf key every host shares, and the CA fields every leaf repeats. */
  #leafIssuer(): LeafIssuer & { leafKeyPem: string } {
    if (this.#issuer) return this.#issuer;
    const leaf = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyId = this.#cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
    this.#issuer = {
      issuerName: Buffer.from(this.#cert.subjectName.toArrayBuffer()),
      keyId: keyId
        ? Buffer.from(keyId, 'hex')
        : Buffer.from(this.#cert.publicKey.rawData).subarray(0, 20),
      leafSpki: leaf.publicKey.export({ type: 'spki', format: 'der' }),
      caKey: createPrivateKey(this.keyPem),
      caNotAfter: this.#cert.notAfter,
      leafKeyPem: leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    };
    return this.#issuer;
  }
}

/** Makes a new CA: ECDSA P-256, ten years, its subject naming the sandbox. */
export function createCertificateAuthority(
  options: CertificateAuthorityOptions = {},
): Promise<CertificateAuthority> {
  return CertificateAuthority.create(options);
}

/** Loads a CA from its certificate and PKCS#8 key PEMs (checks that they belong together). */
export function loadCertificateAuthority(
  pems: { certPem: string; keyPem: string },
  options: Pick<CertificateAuthorityOptions, 'maxContexts'> = {},
): Promise<CertificateAuthority> {
  return CertificateAuthority.load(pems.certPem, pems.keyPem, options.maxContexts);
}
