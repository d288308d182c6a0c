import { isIP, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { serveClient } from './client.ts';
import type { ProxyState, Tunnel } from './state.ts';
import { canonical } from './target.ts';
import type { ProxyEvent } from './types.ts';

const TLS_HANDSHAKE = 0x16;

/**
 * After `200` on a mitm CONNECT the first byte decides: a TLS handshake is terminated with a
 * leaf for the CONNECT host (SNI must name it), an HTTP request line is served as plain HTTP,
 * and anything else is closed: raw TCP does not pass a mitm tunnel.
 */
export function intercept(
  state: ProxyState,
  socket: Socket,
  head: Buffer,
  tunnel: Tunnel,
  record: ProxyEvent,
  address: string,
): void {
  // A client gets as long for its first byte and TLS handshake as for a request head: a
  // tunnel held open by a silent client or a partial ClientHello is a slowloris too.
  const deadline = setTimeout(() => socket.destroy(), state.headersTimeoutMs);
  socket.once('close', () => clearTimeout(deadline));
  const route = (chunk: Buffer) => {
    socket.pause();
    socket.unshift(chunk);
    const first = chunk[0]!;
    if (first === TLS_HANDSHAKE) {
      // The upstream connection is dialled while the client's handshake runs (its first
      // request will be to the CONNECT host, at the address admitted for the tunnel).
      const { name, port } = tunnel.target;
      state.upstreams.preconnect({ secure: true, address, port, name });
      terminate(state, socket, tunnel, record, deadline).catch(() => socket.destroy());
    } else if (first >= 0x41 && first <= 0x5a) {
      // From the request's first byte on, the client connection's head deadline applies, and
      // its sweep takes over from the tunnel's idle timer.
      clearTimeout(deadline);
      socket.setTimeout(0);
      serveClient(state, socket, tunnel);
      socket.resume();
    } else {
      record.action = 'denied';
      socket.destroy();
    }
  };
  // Mint the leaf while the client is still preparing its ClientHello (single-flight: the
  // handshake below picks up the same context).
  state
    .ca()
    .then((ca) => ca.secureContext(tunnel.target.name))
    .catch(() => {});
  if (head.length > 0) route(head);
  else socket.once('data', route);
}

async function terminate(
  state: ProxyState,
  socket: Socket,
  tunnel: Tunnel,
  record: ProxyEvent,
  deadline: NodeJS.Timeout,
): Promise<void> {
  const { target } = tunnel;
  const ca = await state.ca();
  const context = await ca.secureContext(target.name);
  if (socket.destroyed) return;
  // From here the TLS layer reads the socket's handle directly: its own timer takes over.
  socket.setTimeout(0);
  const secured: Tunnel = { ...tunnel, secure: true };
  const reject = () => {
    record.action = 'denied';
    tls.destroy();
    socket.destroy();
  };
  const tls = new TLSSocket(socket, {
    isServer: true,
    secureContext: context,
    ALPNProtocols: ['http/1.1'],
    SNICallback(servername, callback) {
      if (canonical(servername) === target.host) callback(null, context);
      else {
        reject();
        callback(new Error('the TLS server name does not match the CONNECT host'));
      }
    },
  });
  tls.on('error', () => {
    tls.destroy();
    socket.destroy();
  });
  tls.once('secure', () => {
    clearTimeout(deadline);
    // A client that names no server is only fine for an IP address (SNI cannot carry one).
    if (!tls.servername && !isIP(target.host)) reject();
  });
  serveClient(state, tls as unknown as Socket, secured);
}
