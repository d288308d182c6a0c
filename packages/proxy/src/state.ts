import type { CertificateAuthority } from './ca/authority.ts';
import type { ClientConnection } from './client.ts';
import type { CredentialInjector } from './credentials.ts';
import type { Decided } from './decide.ts';
import type { Target } from './target.ts';
import type { ProxyEvent, ProxyPolicy, Resolver } from './types.ts';
import type { Upstreams } from './upstream.ts';

/** A CONNECT tunnel whose inner requests the proxy serves (TLS-terminated or plain HTTP). */
export interface Tunnel {
  target: Target;
  /** Resolved once at CONNECT: every request inside is checked (and dialled) against these. */
  addresses: readonly string[];
  secure: boolean;
  /** The last decision and the policy object it was made under (see `decideInTunnel`). */
  decided?: { policy: ProxyPolicy; result: Decided };
  /** The last Host header found to name the target (a kept-alive client repeats it). */
  hostOk?: string;
}

/** A raw splice (bypass tunnel, WebSocket) that a new policy may have to cut. */
export interface Spliced {
  target: Target;
  addresses: readonly string[];
  bypass: boolean;
  destroy(): void;
}

/** Everything the handlers share; `policy` and `credentials` are swapped whole by the setters. */
export interface ProxyState {
  policy: ProxyPolicy;
  credentials: CredentialInjector;
  readonly resolver: Resolver;
  readonly sandbox: string | null;
  readonly emit: (event: ProxyEvent) => void;
  readonly upstreams: Upstreams;
  readonly ca: () => Promise<CertificateAuthority>;
  readonly idleTimeoutMs: number;
  /** How long a client connection is kept between requests, and the header that says so. */
  readonly keepAliveTimeoutMs: number;
  readonly keepAliveHint: string;
  /** Deadline for a request head, and for a mitm tunnel's TLS handshake or first byte. */
  readonly headersTimeoutMs: number;
  readonly spliced: Set<Spliced>;
  /** Client connections served (not those handed over to a tunnel or upgrade). */
  readonly clients: Set<ClientConnection>;
}
