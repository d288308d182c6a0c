import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { handleConnect } from './connect.ts';
import { forward } from './forward.ts';
import { MAX_HEADER_SIZE, SOCKET_HIGH_WATER_MARK } from './limits.ts';
import { rejectedEvent } from './rejected.ts';
import { replyRaw } from './reply.ts';
import type { ProxyState } from './state.ts';
import { handleUpgrade } from './upgrade.ts';

/**
 * Node's HTTP server with llhttp in strict mode: CL+TE, obs-fold, bad header chars are errors.
 * A request head must be complete within `headersTimeoutMs` of its first byte (or of the
 * connection), else 408 and the connection closes (slowloris).
 */
export function httpServer(
  state: () => ProxyState,
  inner: boolean,
  headersTimeoutMs: number,
): Server {
  const server = createServer({
    maxHeaderSize: MAX_HEADER_SIZE,
    requestTimeout: 0,
    headersTimeout: headersTimeoutMs,
    connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(headersTimeoutMs / 4))),
    keepAliveTimeout: 60_000,
    insecureHTTPParser: false,
    ...(inner ? {} : { highWaterMark: SOCKET_HIGH_WATER_MARK }),
  });
  server.on('request', (req, res) => forward(state(), req, res, false));
  server.on('checkContinue', (req, res) => forward(state(), req, res, true));
  server.on('upgrade', (req, socket: Socket, head: Buffer) =>
    handleUpgrade(state(), req, socket, head),
  );
  server.on('connect', (req, socket: Socket, head: Buffer) => {
    if (inner) replyRaw(socket, 405, 'sbx proxy: CONNECT inside a tunnel is not supported\n');
    else handleConnect(state(), req, socket, head);
  });
  server.on(
    'clientError',
    (error: Error & { code?: string; rawPacket?: Buffer }, socket: Duplex) => {
      const code = error.code ?? '';
      if (code === 'ECONNRESET') return void socket.destroy();
      const timeout = code === 'ERR_HTTP_REQUEST_TIMEOUT';
      const status = timeout ? 408 : code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      const answered = socket.writable;
      if (code.startsWith('HPE_')) {
        const { sandbox, tunnels, emit } = state();
        const tunnel = tunnels.get(socket as Socket);
        emit(rejectedEvent(sandbox, tunnel, error.rawPacket, answered ? status : 0));
      }
      if (!answered) socket.destroy();
      else if (timeout) replyRaw(socket, 408, 'sbx proxy: the request head took too long\n');
      else replyRaw(socket, status, 'sbx proxy: malformed request\n');
    },
  );
  return server;
}
