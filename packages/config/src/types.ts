/** How the proxy injects one API credential: the secret comes from `env`, never from the file. */
export interface CredentialRule {
  /** The host whose requests get the header (a host pattern, as in allowHosts). */
  host: string;
  /** The header to set, e.g. `x-api-key` or `authorization`. */
  header: string;
  /** The header value with `{value}` standing for the secret, e.g. `Bearer {value}`. */
  format: string;
  /** The environment variable (of sandboxd) holding the secret. */
  env: string;
}

/** `proxy-config.json`, version 1, as read (missing fields filled in) and as written (in full). */
export interface ProxyConfig {
  version: 1;
  policy: 'allow' | 'deny';
  allowHosts: string[];
  blockHosts: string[];
  allowCidrs: string[];
  blockCidrs: string[];
  bypassHosts: string[];
  bypassCidrs: string[];
  credentials: CredentialRule[];
}

/** The host and CIDR lists of a config, the fields the `network proxy` flags edit. */
export type ProxyConfigList =
  | 'allowHosts'
  | 'blockHosts'
  | 'allowCidrs'
  | 'blockCidrs'
  | 'bypassHosts'
  | 'bypassCidrs';

export const HOST_LISTS = ['allowHosts', 'blockHosts', 'bypassHosts'] as const;
export const CIDR_LISTS = ['allowCidrs', 'blockCidrs', 'bypassCidrs'] as const;
export const PROXY_CONFIG_LISTS: readonly ProxyConfigList[] = [...HOST_LISTS, ...CIDR_LISTS];
