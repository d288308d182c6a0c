import type { Readable } from 'node:stream';
import type { ClientResponse } from './client-response.ts';
import { credentialFor } from './credentials.ts';
import { admit, type Decided, decide, decideInTunnel, decideNow } from './decide.ts';
import { elapsed, eventUrl, isoTime, newEvent } from './events.ts';
import type { Fields } from './fields.ts';
import { forwardedLines, upstreamHead } from './headers.ts';
import { reply } from './reply.ts';
import type { ClientRequest } from './request-parser.ts';
import { requestTarget } from './request-target.ts';
import type { ProxyState, Tunnel } from './state.ts';
import { formatAuthority } from './target.ts';
import type { ProxyEvent } from './types.ts';
import type { UpstreamExchange, UpstreamHandler } from './upstream.ts';

/**
 * Serves one HTTP request: absolute-form on the proxy port, or origin-form inside an
 * intercepted tunnel. Checked against the current policy, credentials injected, and
 * streamed both ways over a pinned keep-alive upstream connection.
 */
export function forward(
  state: ProxyState,
  req: ClientRequest,
  res: ClientResponse,
  body: Readable | null,
  inTunnel: Tunnel | undefined,
): void {
  const exchange = new Downstream(state, res, newEvent(state.sandbox, 'request', req.method, ''));
  const { record } = exchange;
  const where = requestTarget(req, inTunnel);
  if (!where.ok) {
    if (where.target) {
      record.host = where.target.name;
      record.port = where.target.port;
    }
    record.url = where.target ? eventUrl('https', where.target.name, where.target.port, '/') : '';
    reply(res, where.status, where.body, true);
    return;
  }
  const { target, path, secure, tunnel } = where;
  const scheme = secure ? 'https' : 'http';
  record.host = target.name;
  record.port = target.port;
  record.url = eventUrl(scheme, target.name, target.port, path);
  const hasBody = body !== null;
  const proceed = (decided: Decided) => {
    const admitted = admit(decided, target, state.sandbox, record);
    if (!admitted.ok) {
      reply(res, admitted.status, admitted.body, hasBody);
      return;
    }
    const { address } = admitted;
    const bypass = decided.decision.tunnel === 'bypass';
    const check = credentialFor(state.credentials, bypass, target, secure, address);
    if (!check.ok) {
      reply(res, check.status, check.body, hasBody);
      return;
    }
    const { credential } = check;
    const chunked = req.body === 'chunked';
    const head = upstreamHead(
      req.method,
      path,
      forwardedLines(req.fields, credential?.lower),
      formatAuthority(target.name, target.port, secure ? 443 : 80),
      `${credential ? `${credential.header}: ${credential.value}\r\n` : ''}${chunked ? 'transfer-encoding: chunked\r\n' : ''}`,
    );
    if (req.expectContinue && hasBody) res.writeContinue();
    exchange.where = `${target.name}:${target.port}`;
    exchange.attach(
      state.upstreams.request(
        { secure, address, port: target.port, name: target.name },
        { method: req.method, head, body, chunked },
        exchange,
      ),
    );
  };
  const failed = () => reply(res, 502, 'sbx proxy: internal error\n', true);
  let now: Decided | undefined;
  try {
    now = tunnel ? decideInTunnel(state.policy, tunnel) : decideNow(state.policy, target);
    if (now) proceed(now);
  } catch {
    failed();
    return;
  }
  if (!now)
    decide(() => state.policy, state.resolver, target)
      .then(proceed)
      .catch(failed);
}

/**
 * The client's side of one request (the upstream side is upstream-exchange.ts): streams the
 * upstream response to the client chunk by chunk, with backpressure both ways, and emits the
 * log record when the client side closes. One object per request (a closure per handler
 * method would be six).
 */
class Downstream implements UpstreamHandler {
  readonly record: ProxyEvent;
  where = '';
  #upstream: UpstreamExchange | undefined;
  #gone = false;
  /** The upstream's chunked framing goes to the client as it came (no re-chunking). */
  #asIs = false;
  /** Waiting for the client to drain: the upstream is paused until it has. */
  #waiting = false;
  readonly #state: ProxyState;
  readonly #res: ClientResponse;
  readonly #start = performance.now();
  /** When the request came (the record's `ts`, formatted when it is logged). */
  readonly #startedAt = Date.now();

  constructor(state: ProxyState, res: ClientResponse, record: ProxyEvent) {
    this.#state = state;
    this.#res = res;
    this.record = record;
    res.onDone = (finished) => this.#closed(finished);
  }

  #closed(finished: boolean): void {
    const res = this.#res;
    const { record } = this;
    if (!finished) {
      this.#gone = true;
      this.#upstream?.abort();
    }
    record.ts = isoTime(this.#startedAt);
    record.status = res.headersSent ? res.statusCode : 0;
    record.durationMs = elapsed(this.#start);
    this.#state.emit(record);
  }

  /** The upstream side, once the request is on its way (the client may have left by then). */
  attach(upstream: UpstreamExchange): void {
    this.#upstream = upstream;
    if (this.#gone) upstream.abort();
  }

  onRequestData(bytes: number): void {
    this.record.bytesOut += bytes;
  }

  onResponseStart(
    statusCode: number,
    statusMessage: string,
    fields: Fields,
    chunked: boolean,
  ): void {
    this.#res.forwardHead(statusCode, statusMessage, forwardedLines(fields), chunked);
    this.#asIs = this.#res.chunksAsIs;
  }

  onResponseData(chunk: Buffer): boolean {
    this.record.bytesIn += chunk.length;
    return this.#asIs || this.#write(chunk);
  }

  onResponseRaw(bytes: Buffer): boolean {
    return !this.#asIs || this.#write(bytes);
  }

  #write(bytes: Buffer): boolean {
    // (The response copies the bytes: they are a view of the upstream connection's read buffer.)
    if (this.#res.write(bytes)) return true;
    // Reads already under way when the upstream paused still arrive: one drain wait for all.
    if (!this.#waiting) {
      this.#waiting = true;
      this.#res.onDrain(() => {
        this.#waiting = false;
        this.#upstream?.resume();
      });
    }
    return false;
  }

  onReadEnd(): void {
    // A head that came without body bytes goes now (they may take long: a stream's first event).
    this.#res.flushHead();
  }

  onResponseEnd(): void {
    this.#res.end();
  }

  onResponseError(error: Error): void {
    const res = this.#res;
    if (res.headersSent) res.destroy();
    else reply(res, 502, `sbx proxy: ${this.where} failed: ${describe(error)}\n`, true);
  }
}

function describe(error: Error): string {
  const code = (error as Error & { code?: string }).code;
  // A system error's code says what happened (ECONNREFUSED …); sbx's own messages say it in words.
  return code && !code.startsWith('SBX_') ? `${code} ${error.message}` : error.message;
}
