import type { Socket } from 'node:net';
import { credentialFor } from './credentials.ts';
import { admit, decide } from './decide.ts';
import { elapsed, eventUrl, newEvent } from './events.ts';
import { Name } from './fields.ts';
import { forwardedLines, headBytes, upstreamHead } from './headers.ts';
import { type Head, HeadReader, statusLine } from './http1.ts';
import { replyRaw } from './reply.ts';
import type { ClientRequest } from './request-parser.ts';
import { requestTarget } from './request-target.ts';
import { ResponseParser } from './response-parser.ts';
import { splice } from './splice.ts';
import type { ProxyState, Tunnel } from './state.ts';
import { formatAuthority } from './target.ts';

const KEEP = [Name.Upgrade, Name.Connection];
const STATUS = /^HTTP\/1\.[01] (\d{3})/;

/**
 * A request with `Upgrade` (WebSocket): checked and credentialed like any request, then the
 * handshake is sent to the pinned address, and the two connections are spliced once the
 * upstream answers `101` (any other answer is passed on, see `refused`).
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
      const text = upstreamHead(
        req.method,
        path,
        forwardedLines(req.fields, credential?.lower, KEEP),
        formatAuthority(target.name, target.port, secure ? 443 : 80),
        credential ? `${credential.header}: ${credential.value}\r\n` : '',
      );
      const upstream = state.upstreams.dial({
        secure,
        address,
        port: target.port,
        name: target.name,
      });
      // Until the upstream's answer head has come, a failure is the client's 502 (once).
      let answered = false;
      const where = `${target.name}:${target.port}`;
      const failed = (why: string) => {
        if (answered) return;
        answered = true;
        fail(502, `sbx proxy: ${why}\n`);
      };
      upstream.once('error', () =>
        failed(
          base ? `${where} failed before answering the upgrade` : `cannot connect to ${where}`,
        ),
      );
      upstream.once('close', () => failed(`${where} closed without answering the upgrade`));
      socket.once('close', () => upstream.destroy());
      upstream.once('ready', () => {
        base = [socket.bytesRead - head.length, socket.bytesWritten];
        upstream.write(text);
        const heads = new HeadReader(() => new Error('too large'));
        const onData = (chunk: Buffer) => {
          let answer: Head | undefined;
          try {
            answer = heads.read(chunk, 0);
          } catch {
            failed(`${where} sent an invalid response head`);
            upstream.destroy();
            return;
          }
          if (!answer) return;
          answered = true;
          upstream.off('data', onData);
          const rest = chunk.subarray(answer.next);
          const status = Number(
            STATUS.exec(answer.bytes.toString('latin1', 0, answer.end))?.[1] ?? 0,
          );
          record.status = status;
          if (status !== 101) {
            refused(socket, upstream, req.method, Buffer.concat([answer.bytes, rest]), record);
            return;
          }
          // Switched: from here on the bytes are the new protocol's, passed both ways unread.
          socket.write(answer.bytes);
          if (rest.length) socket.write(rest);
          if (head.length) upstream.write(head);
          splice(
            state,
            socket,
            upstream,
            { target, addresses: decided.addresses, bypass: false },
            () => {},
          );
        };
        upstream.on('data', onData);
      });
    })
    .catch(() => fail(502, 'sbx proxy: internal error\n'));
}

/**
 * The upstream did not switch protocols: its answer goes to the client and both connections
 * close. Kept open, they would carry whatever the client sent next to the upstream unread
 * (a request with another Host, say), so the answer's body ends with the connection.
 */
function refused(
  socket: Socket,
  upstream: Socket,
  method: string,
  first: Buffer,
  record: { status: number },
): void {
  const end = () => {
    socket.end();
    upstream.destroy();
  };
  const parser = new ResponseParser({
    head(status, reason, fields) {
      record.status = status;
      const lines = forwardedLines(fields, 'content-length');
      socket.write(
        headBytes(
          statusLine(status, reason),
          lines,
          `via: ${lines.via}\r\nconnection: close\r\n\r\n`,
        ),
      );
    },
    raw() {},
    data(chunk) {
      if (!socket.write(chunk)) {
        upstream.pause();
        socket.once('drain', () => upstream.resume());
      }
    },
    end,
  });
  const push = (chunk: Buffer) => {
    try {
      parser.push(chunk);
    } catch {
      socket.destroy();
      upstream.destroy();
    }
  };
  upstream.on('data', push);
  upstream.once('end', () => {
    try {
      parser.eof();
    } catch {
      socket.destroy();
    }
  });
  parser.expect(method);
  push(first);
}
