import type { CertificateAuthority } from './ca/authority.ts';

/** What the proxy asks its policy (a compiled @sbx/policy, or anything with the same `check`). */
export interface PolicyTarget {
  host: string;
  port: number;
  addresses: readonly string[];
}

/** The policy's answer; an allowed target is dialled at exactly `address`. */
export interface PolicyDecision {
  action: 'allow' | 'deny';
  tunnel: 'mitm' | 'bypass';
  rule: string | null;
  reason: 'host-rule' | 'cidr-rule' | 'default' | 'invalid-target' | 'unresolved';
  address?: string;
}

export interface ProxyPolicy {
  check(target: PolicyTarget): PolicyDecision;
}

/** Resolves a host name to its IPv4 and IPv6 addresses (empty when it has none). */
export type Resolver = (host: string) => Promise<string[]>;

/** Sets `header` to `format` (where `{value}` is the secret) on requests to `host` (a pattern). */
export interface CredentialRule {
  host: string;
  header: string;
  format?: string;
  env: string;
}

export interface Credentials {
  rules: readonly CredentialRule[];
  /** Returns the secret for an environment variable name; defaults to `process.env`. */
  secret?: (env: string) => string | undefined;
}

/** One line of the request log: one per request (also inside TLS tunnels) and one per tunnel. */
export interface ProxyEvent {
  /** ISO 8601 time at which the request or tunnel started. */
  ts: string;
  sandbox: string | null;
  type: 'request' | 'tunnel';
  method: string;
  /** `scheme://host:port/path` with query values removed (names kept); `tcp://host:port` for tunnels. */
  url: string;
  host: string;
  port: number;
  /** The address dialled, or null when nothing was dialled. */
  address: string | null;
  action: 'allowed' | 'denied' | 'bypassed';
  rule: string | null;
  /** The status the proxy answered with (for a tunnel: to CONNECT); 0 when none was sent. */
  status: number;
  /** Body bytes that came back to the sandbox (response body, or tunnel bytes from upstream). */
  bytesIn: number;
  /** Body bytes the sandbox sent out (request body, or tunnel bytes towards upstream). */
  bytesOut: number;
  durationMs: number;
}

export interface ProxyOptions {
  policy: ProxyPolicy;
  /** The CA that signs intercepted hosts' leaves; an in-memory one is made when absent. */
  ca?: CertificateAuthority;
  credentials?: Credentials;
  resolver?: Resolver;
  onEvent?: (event: ProxyEvent) => void;
  /** Extra CA certificates (PEM) trusted for upstream TLS, besides the system's. */
  upstreamCa?: string | readonly string[];
  /** The sandbox named in events and in the CA; null when none. */
  sandbox?: string | null;
  /**
   * Time without a byte read or written after which a client connection, tunnel or upstream
   * connection is closed (default 300 s); a request whose upstream is silent that long gets 502.
   */
  idleTimeoutMs?: number;
  /**
   * How long a client connection is kept open between requests (default 60 s); responses
   * announce it in a `Keep-Alive: timeout=` header (whole seconds, rounded down).
   */
  keepAliveTimeoutMs?: number;
  /**
   * Time a client has to send a whole request head, on the proxy port and inside intercepted
   * tunnels, before it is answered 408 and closed (default 60 s).
   */
  headersTimeoutMs?: number;
  /** How many upstream origins (address, port, TLS name) keep connection pools (default 256). */
  maxOrigins?: number;
}

export type ListenTarget = { port?: number; host?: string } | { path: string };

export type ProxyAddress = { host: string; port: number } | { path: string };
