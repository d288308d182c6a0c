import type { Socket } from 'node:net';
import { credentialFor } from './credentials.ts';
import { admit, decide } from './decide.ts';
import { elapsed, eventUrl, newEvent } from './events.ts';
import { endToEnd } from './headers.ts';
import { replyRaw } from './reply.ts';
import type { ClientRequest } from './request-parser.ts';
import { requestTarget } from './request-target.ts';
import { splice } from './splice.ts';
import type { ProxyState, Tunnel } from './state.ts';
import { formatAuthority } from './target.ts';
import { requestHead } from './upstream-exchange.ts';

const KEEP = new Set(['upgrade', 'connection']);

/**
 * A request with `Upgrade` (WebSocket): checked and credentialed like any request, then the
 * handshake is sent to the pinned address and the two connections are spliced.
 */
export function handleUpgrade(
  state: ProxyState,
  req: ClientRequest,
  socket: Socket,
  head: Buffer,
  inTunnel: Tunnel | undefined,
): void {
  socket.on('error', () => socket.destroy());
  const start = performance.now();
  const record = newEvent(state.sandbox, 'request', req.method);
  let base: [number, number] | undefined;
  socket.once('close', () => {
    if (base) {
      record.bytesOut = Math.max(0, socket.bytesRead - base[0]);
      record.bytesIn = Math.max(0, socket.bytesWritten - base[1]);
    }
    record.durationMs = elapsed(start);
    state.emit(record);
  });
  const fail = (status: number, body: string) => {
    record.status = status;
    replyRaw(socket, status, body);
  };
  const where = requestTarget(req, inTunnel);
  if (!where.ok) {
    fail(where.status, where.body);
    return;
  }
  const { target, path, secure, tunnel } = where;
  record.host = target.name;
  record.port = target.port;
  record.url = eventUrl(secure ? 'wss' : 'ws', target.name, target.port, path);
  decide(() => state.policy, state.resolver, target, tunnel?.addresses)
    .then((decided) => {
      if (socket.destroyed) return;
      const admitted = admit(decided, target, state.sandbox, record);
      if (!admitted.ok) {
        fail(admitted.status, admitted.body);
        return;
      }
      const { address } = admitted;
      const bypass = decided.decision.tunnel === 'bypass';
      const check = credentialFor(state.credentials, bypass, target, secure, address);
      if (!check.ok) {
        fail(check.status, check.body);
        return;
      }
      const { credential } = check;
      const { headers, via } = endToEnd(req.rawHeaders, credential?.lower, KEEP);
      headers.push('host', formatAuthority(target.name, target.port, secure ? 443 : 80));
      headers.push('via', via);
      if (credential) headers.push(credential.header, credential.value);
      const text = requestHead(req.method, path, headers);
      const upstream = state.upstreams.dial({
        secure,
        address,
        port: target.port,
        name: target.name,
      });
      upstream.once('error', () => {
        if (!base) fail(502, `sbx proxy: cannot connect to ${target.name}:${target.port}\n`);
      });
      socket.once('close', () => upstream.destroy());
      upstream.once('ready', () => {
        base = [socket.bytesRead - head.length, socket.bytesWritten];
        upstream.write(text, 'latin1');
        if (head.length) upstream.write(head);
        splice(
          state,
          socket,
          upstream,
          { target, addresses: decided.addresses, bypass: false },
          () => {},
        );
        upstream.once('data', (chunk: Buffer) => {
          const status = Number(chunk.subarray(9, 12).toString('latin1'));
          if (Number.isInteger(status)) record.status = status;
        });
      });
    })
    .catch(() => fail(502, 'sbx proxy: internal error\n'));
}
