export type { CertificateAuthorityOptions } from './ca/authority.ts';
export {
  CertificateAuthority,
  createCertificateAuthority,
  loadCertificateAuthority,
} from './ca/authority.ts';
export { certificateAuthorityPaths, loadOrCreateCertificateAuthority } from './ca/store.ts';
export { ProxyError } from './errors.ts';
export type { ProxyServer } from './proxy.ts';
export { createProxy } from './proxy.ts';
export { systemResolver } from './resolver.ts';
export type {
  CredentialRule,
  Credentials,
  ListenTarget,
  PolicyDecision,
  PolicyTarget,
  ProxyAddress,
  ProxyEvent,
  ProxyOptions,
  ProxyPolicy,
  Resolver,
} from './types.ts';
