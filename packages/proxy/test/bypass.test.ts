import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startProxy, until } from './harness.ts';
import { pattern } from './servers.ts';
import { openTunnel } from './tunnel.ts';

const MB = 1 << 20;
let server: Server | undefined;
const held = new Set<Socket>();
afterEach(async () => {
  for (const s of held) s.destroy();
  held.clear();
  if (server) await new Promise((r) => server!.close(r));
  server = undefined;
});

function sha(chunks: Buffer[]): string {
  const hash = createHash('sha256');
  for (const c of chunks) hash.update(c);
  return hash.digest('hex');
}

/** A raw TCP upstream: sends `total` pattern bytes, then ends its side (FIN) at once. */
async function sender(total: number): Promise<{ port: number; sha256: string }> {
  const chunk = pattern(MB);
  const parts: Buffer[] = [];
  for (let sent = 0; sent < total; sent += chunk.length) {
    parts.push(chunk.subarray(0, Math.min(chunk.length, total - sent)));
  }
  server = createServer((s) => {
    held.add(s);
    s.on('error', () => {});
    for (const part of parts) s.write(part);
    s.end();
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, sha256: sha(parts) };
}

/** Reads a socket to its end; `slow` pauses now and then so the proxy's writes back up. */
function readAll(socket: Socket, slow: boolean): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (slow && ++n % 16 === 0) {
        socket.pause();
        setTimeout(() => socket.resume(), 5);
      }
    });
    socket.once('end', () => resolve(chunks));
    socket.once('error', reject);
    socket.resume();
  });
}

describe('bypass tunnels', () => {
  it.each([
    ['read at once', false],
    ['read slowly (the proxy waits for the client)', true],
  ])(
    'deliver 64 MB and the upstream end intact, %s',
    async (_label, slow) => {
      const up = await sender(64 * MB);
      const proxy = await startProxy({
        allowHosts: [`localhost:${up.port}`],
        bypassHosts: ['localhost'],
      });
      const { socket } = await openTunnel(proxy.port, `localhost:${up.port}`);
      const chunks = await readAll(socket, slow);
      expect([chunks.reduce((n, c) => n + c.length, 0), sha(chunks)]).toEqual([64 * MB, up.sha256]);
      socket.destroy();
      await until(() => proxy!.events.length === 1);
      expect(proxy.events[0]).toMatchObject({
        type: 'tunnel',
        action: 'bypassed',
        status: 200,
        bytesIn: 64 * MB,
      });
    },
    60_000,
  );

  it('passes the client end on and still delivers what upstream sends after it', async () => {
    server = createServer((s) => {
      held.add(s);
      const got: Buffer[] = [];
      s.on('data', (c: Buffer) => got.push(c));
      s.on('end', () => s.end(`got ${Buffer.concat(got).toString()}`));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const proxy = await startProxy({
      allowHosts: [`localhost:${port}`],
      bypassHosts: ['localhost'],
    });
    const { socket } = await openTunnel(proxy.port, `localhost:${port}`);
    socket.end('half-closed');
    const chunks = await readAll(socket, false);
    expect(Buffer.concat(chunks).toString()).toBe('got half-closed');
  });
});
