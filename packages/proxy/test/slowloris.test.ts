import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { type Running, startProxy } from './harness.ts';
import { rawExchange } from './raw.ts';
import { httpsUpstream, httpUpstream, type Upstream, upstreamAuthority } from './servers.ts';
import { exchange, openTunnel, tlsOver } from './tunnel.ts';

let proxy: Running | undefined;
let upstream: Upstream | undefined;

// Short enough for a test; the default is 60 s.
const HEADERS_TIMEOUT_MS = 300;

async function setup(secure: boolean) {
  const upstreamCa = await upstreamAuthority();
  upstream = secure ? await httpsUpstream(upstreamCa) : await httpUpstream();
  proxy = await startProxy(
    { allowHosts: [`localhost:${upstream.port}`] },
    { upstreamCa: upstreamCa.certPem, headersTimeoutMs: HEADERS_TIMEOUT_MS },
  );
  return upstream.port;
}

/** Reads from `socket` until `text` has arrived `count` times. */
function responses(socket: Socket, count: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (c: Buffer) => {
      text += c.toString('latin1');
      if ((text.match(/^HTTP\/1\.1 /gm) ?? []).length < count) return;
      socket.off('data', onData);
      resolve(text);
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`closed after ${JSON.stringify(text)}`)));
  });
}

describe('request head timeout (slowloris)', () => {
  it.each([
    ['on the proxy port', 'forward'],
    ['inside an intercepted TLS tunnel', 'tls'],
    ['inside a plain-HTTP mitm tunnel', 'plain'],
  ] as const)(
    'answers 408 and closes a request head left unfinished %s',
    async (_label, where) => {
      const port = await setup(where === 'tls');
      const partial = (path: string) =>
        `GET ${path} HTTP/1.1\r\nHost: localhost:${port}\r\nX-Slow: `;
      let r: { text: string; closed: boolean };
      if (where === 'forward') {
        r = await rawExchange(proxy!.port, partial(`http://localhost:${port}/`), 20_000);
      } else {
        const { socket } = await openTunnel(proxy!.port, `localhost:${port}`);
        const inner =
          where === 'tls' ? await tlsOver(socket, proxy!.ca.certPem, 'localhost') : socket;
        r = await exchange(inner, partial('/'), 20_000);
      }
      expect([r.text.split('\r\n')[0], r.closed]).toEqual(['HTTP/1.1 408 Request Timeout', true]);
      expect(upstream!.seen).toEqual([]);
    },
    30_000,
  );

  it.each([
    ['a TLS handshake left unfinished', '\x16\x03\x01\x00'],
    ['nothing sent after CONNECT', ''],
  ])(
    'closes a mitm tunnel with %s',
    async (_label, sent) => {
      const port = await setup(true);
      const { socket } = await openTunnel(proxy!.port, `localhost:${port}`);
      const r = await exchange(socket, sent, 20_000);
      expect(r).toEqual({ text: '', closed: true });
      expect(upstream!.seen).toEqual([]);
    },
    30_000,
  );

  it('leaves a kept-alive tunnel idle between requests open', async () => {
    const port = await setup(true);
    const { socket } = await openTunnel(proxy!.port, `localhost:${port}`);
    const tls = await tlsOver(socket, proxy!.ca.certPem, 'localhost');
    const request = `GET / HTTP/1.1\r\nHost: localhost:${port}\r\n\r\n`;
    const both = responses(tls, 2);
    tls.resume();
    tls.write(request);
    await new Promise((r) => setTimeout(r, HEADERS_TIMEOUT_MS * 4));
    tls.write(request);
    const text = await both;
    tls.destroy();
    expect(text.match(/^HTTP\/1\.1 .*$/gm)).toEqual(['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
  });
});
