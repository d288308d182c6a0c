import { type NetConnectOpts, connect as netConnect, type Socket } from 'node:net';
import { admit, decide } from './decide.ts';
import { elapsed, eventUrl, newEvent } from './events.ts';
import { intercept } from './intercept.ts';
import { Relay } from './relay.ts';
import { replyRaw } from './reply.ts';
import type { ClientRequest } from './request-parser.ts';
import { splice } from './splice.ts';
import type { ProxyState } from './state.ts';
import { parseAuthority } from './target.ts';
import type { ProxyEvent } from './types.ts';

const ESTABLISHED = 'HTTP/1.1 200 Connection Established\r\n\r\n';

/** Byte counters of the client socket from the moment the tunnel opens. */
export interface TunnelMeter {
  record: ProxyEvent;
  start: number;
  read: number;
  written: number;
}

/** Emits the tunnel's event once, with the bytes that crossed it since it opened. */
export function closeTunnel(state: ProxyState, socket: Socket, meter: TunnelMeter): void {
  if (meter.start < 0) return;
  const { record } = meter;
  if (meter.read >= 0) {
    record.bytesOut = Math.max(0, socket.bytesRead - meter.read);
    record.bytesIn = Math.max(0, socket.bytesWritten - meter.written);
  }
  record.durationMs = elapsed(meter.start);
  meter.start = -1;
  state.emit(record);
}

/**
 * CONNECT host:port. The policy decides before anything goes upstream: 403 (with the rule
 * and the command to allow it), a raw splice to the pinned address (bypass), or 200 and
 * interception of whatever the client sends (mitm).
 */
export function handleConnect(
  state: ProxyState,
  req: ClientRequest,
  socket: Socket,
  head: Buffer,
): void {
  socket.on('error', () => socket.destroy());
  socket.setTimeout(state.idleTimeoutMs, () => socket.destroy());
  const meter: TunnelMeter = {
    start: performance.now(),
    read: -1,
    written: 0,
    record: newEvent(state.sandbox, 'tunnel', 'CONNECT'),
  };
  const { record } = meter;
  socket.once('close', () => closeTunnel(state, socket, meter));
  const target = parseAuthority(req.url, null);
  if (!target) {
    record.status = 400;
    record.url = `tcp://${req.url.slice(0, 200)}`;
    replyRaw(socket, 400, 'sbx proxy: CONNECT needs host:port\n');
    return;
  }
  record.host = target.name;
  record.port = target.port;
  record.url = eventUrl('tcp', target.name, target.port);
  decide(() => state.policy, state.resolver, target)
    .then((decided) => {
      if (socket.destroyed) return;
      const admitted = admit(decided, target, state.sandbox, record);
      if (!admitted.ok) {
        record.status = admitted.status;
        replyRaw(socket, admitted.status, admitted.body);
        return;
      }
      const { address } = admitted;
      const { decision, addresses } = decided;
      const open = () => {
        record.status = 200;
        meter.read = socket.bytesRead - head.length;
        socket.write(ESTABLISHED);
        meter.written = socket.bytesWritten;
      };
      if (decision.tunnel === 'mitm') {
        open();
        intercept(state, socket, head, { target, addresses, secure: false }, record, address);
        return;
      }
      const relay = new Relay(socket);
      const upstream = netConnect({
        host: address,
        port: target.port,
        noDelay: true,
        onread: relay.onread,
      } as NetConnectOpts);
      upstream.setTimeout(10_000, () => upstream.destroy(new Error('connect timeout')));
      upstream.once('error', () => {
        if (record.status === 0) {
          record.status = 502;
          replyRaw(socket, 502, `sbx proxy: cannot connect to ${target.name}:${target.port}\n`);
        }
      });
      upstream.once('connect', () => {
        upstream.setTimeout(0);
        open();
        if (head.length) upstream.write(head);
        splice(state, socket, upstream, { target, addresses, bypass: true }, () => {}, relay);
      });
      socket.once('close', () => upstream.destroy());
    })
    .catch(() => {
      if (record.status !== 0) return void socket.destroy();
      record.status = 502;
      replyRaw(socket, 502, 'sbx proxy: internal error\n');
    });
}
