import { type KeyObject, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';
import {
  bits,
  explicit,
  ipBytes,
  octets,
  oid,
  seq,
  set,
  TRUE,
  time,
  tlv,
  uint,
  utf8,
} from './der.ts';

const HOUR = 3_600_000;
const LEAF_LIFETIME = 365 * 24 * HOUR;
const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));
const VERSION_3 = explicit(0, uint(Buffer.of(2)));
const BASIC_CONSTRAINTS = seq(oid('2.5.29.19'), TRUE, octets(seq()));
// keyUsage digitalSignature: bit 0 of a one-byte BIT STRING with 7 unused bits.
const KEY_USAGE = seq(oid('2.5.29.15'), TRUE, octets(tlv(0x03, Buffer.from([0x07, 0x80]))));
const EXT_KEY_USAGE = seq(oid('2.5.29.37'), octets(seq(oid('1.3.6.1.5.5.7.3.1'))));

/** What stays the same for every leaf one CA signs with the shared leaf key. */
export interface LeafIssuer {
  /** DER of the CA's subject Name (the leaves' issuer). */
  issuerName: Buffer;
  /** The CA's subject key identifier (the leaves' authority key identifier). */
  keyId: Buffer;
  /** DER SubjectPublicKeyInfo of the shared leaf key. */
  leafSpki: Buffer;
  caKey: KeyObject;
  caNotAfter: Date;
}

/**
 * Mints the certificate (PEM) the proxy shows for `host` (a canonical name or IP literal):
 * SAN dNSName or iPAddress, serverAuth, notBefore an hour back for sandboxes whose clock
 * lags. Assembled as DER and signed with node:crypto: well under a millisecond.
 */
export function mintLeaf(issuer: LeafIssuer, host: string, now = Date.now()): string {
  const notAfter = new Date(Math.min(now + LEAF_LIFETIME, issuer.caNotAfter.getTime()));
  const ip = isIP(host) !== 0;
  const san = ip ? tlv(0x87, ipBytes(host)) : tlv(0x82, Buffer.from(host, 'latin1'));
  // A common name is at most 64 characters; clients check the SAN anyway.
  const subject =
    host.length <= 64
      ? seq(set(seq(oid('2.5.4.3'), utf8(host))))
      : seq(set(seq(oid('2.5.4.10'), utf8('sbx proxy'))));
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const tbs = seq(
    VERSION_3,
    uint(serial),
    ECDSA_SHA256,
    issuer.issuerName,
    seq(time(new Date(now - HOUR)), time(notAfter)),
    subject,
    issuer.leafSpki,
    explicit(
      3,
      seq(
        BASIC_CONSTRAINTS,
        KEY_USAGE,
        EXT_KEY_USAGE,
        seq(oid('2.5.29.17'), octets(seq(san))),
        seq(oid('2.5.29.35'), octets(seq(tlv(0x80, issuer.keyId)))),
      ),
    ),
  );
  const signature = sign('sha256', tbs, { key: issuer.caKey, dsaEncoding: 'der' });
  const der = seq(tbs, ECDSA_SHA256, bits(signature));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
