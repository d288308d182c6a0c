import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ClientResponse } from './client-response.ts';

/** Answers with a short text body; `close` ends the connection after it. */
export function reply(res: ClientResponse, status: number, body: string, close = false): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const length = String(Buffer.byteLength(body));
  res.writeHead(
    status,
    undefined,
    ['content-type', 'text/plain; charset=utf-8', 'content-length', length],
    close,
  );
  res.end(body);
}

/** Writes a whole HTTP/1.1 response on a raw socket (CONNECT, upgrades, parse errors) and ends it. */
export function replyRaw(socket: Duplex, status: number, body: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const head =
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
    `content-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
    'connection: close\r\n\r\n';
  socket.end(head + body);
}
