import { connect, type Socket } from 'node:net';

/** Sends raw bytes to 127.0.0.1:port and collects everything until the server closes (or ms). */
export function rawExchange(
  port: number,
  data: string | Buffer,
  ms = 3000,
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed });
    };
    const timer = setTimeout(() => finish(false), ms);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.write(data);
  });
}

/** Sends one request on a kept-alive socket and resolves with the status line of its answer. */
export function ask(socket: Socket, text: string): Promise<string> {
  return new Promise((resolve) => {
    let buf = '';
    const onData = (c: Buffer) => {
      buf += c.toString('latin1');
      const head = buf.indexOf('\r\n\r\n');
      if (head < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(buf.slice(0, head))?.[1] ?? 0);
      if (buf.length - head - 4 < length) return;
      socket.off('data', onData);
      resolve(buf.split('\r\n')[0]!);
    };
    socket.on('data', onData);
    socket.write(text);
  });
}
