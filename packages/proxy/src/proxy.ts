import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { sweepEvery } from './activity.ts';
import { type CertificateAuthority, createCertificateAuthority } from './ca/authority.ts';
import { serveClient, sweepClients } from './client.ts';
import { CredentialInjector } from './credentials.ts';
import { ProxyError } from './errors.ts';
import { emitTo } from './events.ts';
import { CLIENT_KEEP_ALIVE_MS, SOCKET_HIGH_WATER_MARK } from './limits.ts';
import { systemResolver } from './resolver.ts';
import type { ProxyState } from './state.ts';
import type {
  Credentials,
  ListenTarget,
  ProxyAddress,
  ProxyOptions,
  ProxyPolicy,
} from './types.ts';
import { Upstreams } from './upstream.ts';

/** A running (or ready to run) filtering proxy. */
export interface ProxyServer {
  /** Listens on a TCP port (default 0 = any, host default 127.0.0.1) or on a unix socket path. */
  listen(port?: number, host?: string): Promise<ProxyAddress>;
  listen(target: ListenTarget): Promise<ProxyAddress>;
  address(): ProxyAddress | null;
  /** Stops listening and closes every client connection, tunnel and upstream pool. */
  close(): Promise<void>;
  /** Applies from the next request on; open bypass tunnels and WebSockets it denies are cut. */
  setPolicy(policy: ProxyPolicy): void;
  setCredentials(credentials: Credentials | undefined): void;
  /** The CA that signs intercepted hosts (the one given, or the in-memory one made for it). */
  certificateAuthority(): Promise<CertificateAuthority>;
}

/** A time option in ms: `fallback` when not given, else a positive finite number. */
function duration(
  options: ProxyOptions,
  name: 'idleTimeoutMs' | 'headersTimeoutMs' | 'keepAliveTimeoutMs',
  fallback: number,
): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ProxyError(
      'SBX_PROXY_OPTIONS',
      `${name} must be a positive number of milliseconds, not ${String(value)}`,
    );
  }
  return value;
}

/** Creates the proxy; nothing listens until `listen`. */
export function createProxy(options: ProxyOptions): ProxyServer {
  if (typeof options?.policy?.check !== 'function') {
    throw new ProxyError(
      'SBX_PROXY_OPTIONS',
      'createProxy needs a compiled policy (compilePolicy from @sbx/policy)',
    );
  }
  const sandbox = options.sandbox ?? null;
  let caPromise: Promise<CertificateAuthority> | undefined = options.ca
    ? Promise.resolve(options.ca)
    : undefined;
  const upstreamCa =
    options.upstreamCa === undefined
      ? undefined
      : typeof options.upstreamCa === 'string'
        ? [options.upstreamCa]
        : [...options.upstreamCa];
  const idleTimeoutMs = duration(options, 'idleTimeoutMs', 300_000);
  const headersTimeoutMs = duration(options, 'headersTimeoutMs', 60_000);
  const keepAliveTimeoutMs = duration(options, 'keepAliveTimeoutMs', CLIENT_KEEP_ALIVE_MS);
  const sink = options.onEvent;
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  const state: ProxyState = {
    policy: options.policy,
    credentials: new CredentialInjector(options.credentials),
    resolver: options.resolver ?? systemResolver(),
    sandbox,
    emit: (event) => emitTo(sink, event),
    upstreams: new Upstreams({ upstreamCa, maxOrigins: options.maxOrigins ?? 256, idleTimeoutMs }),
    ca: () => {
      caPromise ??= createCertificateAuthority({ sandbox });
      return caPromise;
    },
    idleTimeoutMs,
    keepAliveTimeoutMs,
    // Tells a client how long its idle connection stays open, as Node's HTTP server does.
    // Without it, undici 7 (assuming 4 s) was seen, after its pooled tunnels had idled out,
    // opening a new tunnel for every request; with it, it keeps them (the cause inside undici
    // is not known).
    keepAliveHint: `keep-alive: timeout=${Math.floor(keepAliveTimeoutMs / 1000)}\r\n`,
    headersTimeoutMs,
    spliced: new Set(),
    clients: new Set(),
  };
  let sweeper: NodeJS.Timeout | undefined;

  const proxy: ProxyServer = {
    listen(portOrTarget?: number | ListenTarget, host?: string) {
      if (server)
        return Promise.reject(
          new ProxyError('SBX_PROXY_LISTENING', 'the proxy is already listening'),
        );
      const target: ListenTarget =
        typeof portOrTarget === 'object' ? portOrTarget : { port: portOrTarget ?? 0, host };
      const s = createServer(
        { allowHalfOpen: true, noDelay: true, highWaterMark: SOCKET_HIGH_WATER_MARK },
        (socket) => {
          sockets.add(socket);
          socket.once('close', () => sockets.delete(socket));
          serveClient(state, socket, undefined);
        },
      );
      server = s;
      // Request-head deadlines, keep-alive ends and stalled connections are checked a few
      // times per deadline.
      const shortest = Math.min(headersTimeoutMs, idleTimeoutMs, keepAliveTimeoutMs);
      sweeper = setInterval(sweepClients, sweepEvery(shortest, 30_000), state).unref();
      return new Promise((resolve, reject) => {
        s.once('error', (error) => {
          server = undefined;
          clearInterval(sweeper);
          reject(
            new ProxyError('SBX_PROXY_LISTEN', `cannot listen: ${error.message}`, { cause: error }),
          );
        });
        const ready = () => resolve(proxy.address()!);
        if ('path' in target) s.listen(target.path, ready);
        else s.listen(target.port ?? 0, target.host ?? '127.0.0.1', ready);
      });
    },
    address() {
      const a = server?.address();
      if (!a) return null;
      if (typeof a === 'string') return { path: a };
      return { host: (a as AddressInfo).address, port: (a as AddressInfo).port };
    },
    async close() {
      const s = server;
      server = undefined;
      const closed = s ? new Promise<void>((resolve) => s.close(() => resolve())) : undefined;
      clearInterval(sweeper);
      for (const socket of sockets) socket.destroy();
      for (const live of state.spliced) live.destroy();
      await Promise.all([closed, state.upstreams.close()]);
    },
    setPolicy(policy) {
      if (typeof policy?.check !== 'function') {
        throw new ProxyError('SBX_PROXY_OPTIONS', 'setPolicy needs a compiled policy');
      }
      state.policy = policy;
      for (const live of state.spliced) {
        const decision = policy.check({
          host: live.target.host,
          port: live.target.port,
          addresses: live.addresses,
        });
        const stillBypass = decision.tunnel === 'bypass';
        if (decision.action === 'deny' || (live.bypass && !stillBypass)) live.destroy();
      }
    },
    setCredentials(credentials) {
      state.credentials = new CredentialInjector(credentials);
    },
    certificateAuthority: () => state.ca(),
  };
  return proxy;
}
