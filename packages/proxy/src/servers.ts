import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { handleConnect } from './connect.ts';
import { forward } from './forward.ts';
import { MAX_HEADER_SIZE, SOCKET_HIGH_WATER_MARK } from './limits.ts';
import { replyRaw } from './reply.ts';
import type { ProxyState } from './state.ts';
import { handleUpgrade } from './upgrade.ts';

/** Node's HTTP server with llhttp in strict mode: CL+TE, obs-fold, bad header chars are errors. */
export function httpServer(state: () => ProxyState, inner: boolean): Server {
  const server = createServer({
    maxHeaderSize: MAX_HEADER_SIZE,
    requestTimeout: 0,
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
  server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => {
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    if (error.code === 'ECONNRESET' || !socket.writable) socket.destroy();
    else replyRaw(socket, status, 'sbx proxy: malformed request\n');
  });
  return server;
}
