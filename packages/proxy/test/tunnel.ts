import { connect, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';

/** Opens a CONNECT tunnel through the proxy; resolves with the socket and the proxy's answer head. */
export function openTunnel(
  proxyPort: number,
  authority: string,
): Promise<{ socket: Socket; head: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: proxyPort });
    let buf = '';
    socket.on('error', reject);
    const onData = (c: Buffer) => {
      buf += c.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.pause();
      const rest = Buffer.from(buf.slice(end + 4), 'latin1');
      if (rest.length) socket.unshift(rest);
      resolve({ socket, head: buf.slice(0, end) });
    };
    socket.on('data', onData);
    socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
  });
}

/** TLS over an open tunnel, trusting `ca`, with the given SNI (false: none). */
export function tlsOver(
  socket: Socket,
  ca: string,
  servername: string | false,
  checkName = 'localhost',
): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const tls = tlsConnect({
      socket,
      ca,
      ...(servername === false ? {} : { servername }),
      ALPNProtocols: ['http/1.1'],
      checkServerIdentity: (_host, cert) =>
        cert.subjectaltname?.includes(checkName) ? undefined : new Error('wrong cert'),
    });
    tls.once('secureConnect', () => resolve(tls));
    tls.once('error', reject);
    tls.once('close', () => reject(new Error('closed during the handshake')));
  });
}

/** Writes a request on a socket and reads until the peer closes or `ms` pass. */
export function exchange(
  socket: Socket,
  data: string,
  ms = 2000,
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    let text = '';
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed });
    };
    const timer = setTimeout(() => finish(false), ms);
    socket.on('data', (c: Buffer) => {
      text += c.toString('latin1');
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.resume();
    socket.write(data);
  });
}
