import { Agent, type IncomingMessage, request } from 'node:http';
import type { ProxyEvent } from '@sbx/proxy';
import { isSandboxdErrorCode, SandboxdError } from './errors.ts';
import type { CreateRequest, SandboxView } from './manager.ts';
import type { ExecRequest } from './runtime.ts';

/** One request log event, exactly as the proxy records it. */
export type NetworkEvent = ProxyEvent;

const UNREACHABLE = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE']);

/**
 * A typed client of the sandboxd API over its unix socket. It speaks through node:http (one
 * kept-alive connection) rather than undici: loading undici cost more than everything else
 * `sbx exec` does on a running sandbox (see the CLI's bench/).
 */
export class SandboxdClient {
  readonly socketPath: string;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 4 });

  /** Called once when nothing listens on the socket; the refused request is then retried. */
  #startDaemon: (() => Promise<unknown>) | undefined;

  constructor(socketPath: string, options: { startDaemon?: () => Promise<unknown> } = {}) {
    this.socketPath = socketPath;
    this.#startDaemon = options.startDaemon;
  }

  ping(): Promise<{ version: string; pid: number }> {
    return this.#call('GET', '/v1/ping');
  }

  list(): Promise<SandboxView[]> {
    return this.#call('GET', '/v1/sandboxes');
  }

  inspect(name: string): Promise<SandboxView> {
    return this.#call('GET', `/v1/sandboxes/${encodeURIComponent(name)}`);
  }

  create(request: CreateRequest): Promise<{ sandbox: SandboxView; created: boolean }> {
    return this.#call('POST', '/v1/sandboxes', request);
  }

  /** Starts the sandbox (or refreshes its secrets); `secrets` live only in the daemon's memory. */
  start(name: string, secrets: Record<string, string> = {}): Promise<SandboxView> {
    return this.#call('POST', `/v1/sandboxes/${encodeURIComponent(name)}/start`, { secrets });
  }

  stop(name: string): Promise<SandboxView> {
    return this.#call('POST', `/v1/sandboxes/${encodeURIComponent(name)}/stop`);
  }

  async remove(name: string): Promise<void> {
    await this.#call('DELETE', `/v1/sandboxes/${encodeURIComponent(name)}`);
  }

  execDetached(name: string, request: ExecRequest): Promise<{ pid: number }> {
    return this.#call('POST', `/v1/sandboxes/${encodeURIComponent(name)}/exec`, request);
  }

  networkLog(options: { sandbox?: string; limit?: number } = {}): Promise<NetworkEvent[]> {
    return this.#call('GET', `/v1/network-log?${logQuery(options)}`);
  }

  /** The log so far, then each new event as it happens, until `signal` aborts. */
  async *followNetworkLog(
    options: { sandbox?: string; limit?: number; signal?: AbortSignal } = {},
  ): AsyncGenerator<NetworkEvent> {
    let response: IncomingMessage;
    try {
      response = await this.#send(
        'GET',
        `/v1/network-log?${logQuery(options)}&follow=1`,
        undefined,
        options.signal,
      );
    } catch (error) {
      if (options.signal?.aborted) return;
      throw error;
    }
    if (response.statusCode !== 200)
      await throwFrom(response.statusCode ?? 0, await text(response));
    try {
      // Iterating the response itself (not readline) turns a stream error into a throw here.
      response.setEncoding('utf8');
      let buffer = '';
      for await (const chunk of response) {
        buffer += chunk;
        let end = buffer.indexOf('\n');
        while (end !== -1) {
          const line = buffer.slice(0, end);
          buffer = buffer.slice(end + 1);
          if (line) yield JSON.parse(line) as NetworkEvent;
          end = buffer.indexOf('\n');
        }
      }
    } catch (error) {
      // Aborting ends the stream with an 'aborted' error: that is the normal way out.
      if (!options.signal?.aborted) throw error;
    }
  }

  reset(): Promise<{ removed: string[] }> {
    return this.#call('POST', '/v1/reset');
  }

  shutdown(): Promise<{ stopping: boolean }> {
    return this.#call('POST', '/v1/shutdown');
  }

  async close(): Promise<void> {
    this.#agent.destroy();
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: IncomingMessage;
    try {
      response = await this.#send(method, path, body);
    } catch (error) {
      // Refused or no socket: the request never reached a daemon, so it is safe to retry.
      const code = ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code;
      const start = this.#startDaemon;
      if (!start || (code !== 'ENOENT' && code !== 'ECONNREFUSED')) throw error;
      this.#startDaemon = undefined;
      await start();
      response = await this.#send(method, path, body);
    }
    const answer = await text(response);
    if ((response.statusCode ?? 500) >= 400) await throwFrom(response.statusCode ?? 500, answer);
    return JSON.parse(answer) as T;
  }

  #send(
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<IncomingMessage> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          agent: this.#agent,
          method,
          path,
          signal,
          headers:
            payload === undefined
              ? {}
              : {
                  'content-type': 'application/json',
                  'content-length': Buffer.byteLength(payload),
                },
        },
        resolve,
      );
      req.on('error', (error) => {
        const code = (error as NodeJS.ErrnoException).code ?? '';
        if (!UNREACHABLE.has(code)) return reject(error);
        reject(
          new SandboxdError(
            'SBX_SANDBOXD_UNAVAILABLE',
            `sandboxd is not running (no answer on ${this.socketPath}): start it with 'sbx daemon start'`,
            { cause: error },
          ),
        );
      });
      req.end(payload);
    });
  }
}

async function text(response: IncomingMessage): Promise<string> {
  response.setEncoding('utf8');
  let out = '';
  for await (const chunk of response) out += chunk;
  return out;
}

function logQuery(options: { sandbox?: string; limit?: number }): string {
  const query = new URLSearchParams();
  if (options.sandbox !== undefined) query.set('sandbox', options.sandbox);
  if (options.limit !== undefined) query.set('limit', String(options.limit));
  return query.toString();
}

async function throwFrom(status: number, text: string): Promise<never> {
  let error: { code?: unknown; message?: unknown } | undefined;
  try {
    error = (JSON.parse(text) as { error?: typeof error }).error;
  } catch {}
  const code = isSandboxdErrorCode(error?.code) ? error.code : 'SBX_SANDBOXD_INTERNAL';
  const message =
    typeof error?.message === 'string'
      ? error.message
      : `sandboxd answered ${status}: ${text.slice(0, 200)}`;
  const thrown = new SandboxdError(code, message);
  // Errors of other sbx packages keep their own code (SBX_CONFIG_…): callers switch on it.
  if (typeof error?.code === 'string' && error.code !== code) {
    Object.defineProperty(thrown, 'code', { value: error.code });
  }
  throw thrown;
}
