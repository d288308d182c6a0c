export type { WriteFileAtomicOptions } from './atomic.ts';
export { writeFileAtomic } from './atomic.ts';
export { builtinProxyConfig } from './defaults.ts';
export type { ConfigErrorCode } from './errors.ts';
export { ConfigError } from './errors.ts';
export type { FileLockOptions } from './lock.ts';
export { withFileLock } from './lock.ts';
export type { ProxyConfigResult } from './parse.ts';
export { parseProxyConfig, safeParseProxyConfig } from './parse.ts';
export {
  assertSandboxName,
  cliPluginsDir,
  defaultProxyConfigPath,
  dockerConfigDir,
  imageCacheDir,
  sandboxDir,
  sandboxdHome,
  sandboxdSocketPath,
  sandboxesDir,
  sandboxProxyConfigPath,
} from './paths.ts';
export type { PolicyConfigInput } from './policy-bridge.ts';
export { cidrProblem, hostPatternProblem, toPolicyConfig } from './policy-bridge.ts';
export type { ProxyConfigUpdate, UpdateOptions } from './store.ts';
export {
  createSandboxProxyConfig,
  ensureDefaultProxyConfig,
  readProxyConfig,
  resetProxyConfig,
  updateProxyConfig,
  writeProxyConfig,
} from './store.ts';
export type { CredentialRule, ProxyConfig, ProxyConfigList } from './types.ts';
export { PROXY_CONFIG_LISTS } from './types.ts';
export type { ConfigWatcher } from './watch.ts';
export { watchConfig } from './watch.ts';
