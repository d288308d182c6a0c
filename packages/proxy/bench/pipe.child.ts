// The floor of (a) and (d): a Node process that does the least a TLS-intercepting proxy must
// do. It answers a CONNECT with 200, terminates the client's TLS with a leaf for the host,
// opens TLS to the upstream and pipes the plaintext both ways ('data' to write), parsing
// nothing, checking nothing. Not a proxy anyone should use: what Node costs per request or
// event, measured.
import { createServer, type Socket } from 'node:net';
import { connect, TLSSocket } from 'node:tls';

// The built package (see ensureBuilt), for the leaf certificates.
const dist = new URL('../dist/index.js', import.meta.url).href;
const { loadCertificateAuthority } = (await import(dist)) as typeof import('../src/index.ts');

const { upstreamCa, caCert, caKey } = JSON.parse(process.argv[2]!) as {
  upstreamCa: string;
  caCert: string;
  caKey: string;
};
const ca = await loadCertificateAuthority({ certPem: caCert, keyPem: caKey });

function pipe(client: Socket): void {
  let head = Buffer.alloc(0);
  client.on('error', () => client.destroy());
  const onHead = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    client.off('data', onHead);
    const authority = /^CONNECT ([^\s:]+):(\d+) /.exec(head.toString('latin1'));
    if (!authority) return void client.destroy();
    const [, host, port] = authority;
    void ca.secureContext(host!).then((secureContext) => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      const tls = new TLSSocket(client, { isServer: true, secureContext });
      const upstream = connect({
        host: '127.0.0.1',
        port: Number(port),
        servername: host,
        ca: upstreamCa,
      });
      upstream.setNoDelay(true);
      tls.on('data', (data: Buffer) => upstream.write(data));
      upstream.on('data', (data: Buffer) => tls.write(data));
      const close = () => {
        tls.destroy();
        upstream.destroy();
      };
      tls.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
  };
  client.on('data', onHead);
}

const server = createServer({ noDelay: true }, pipe);
server.listen(0, '127.0.0.1', () => {
  process.send!({ port: (server.address() as { port: number }).port });
});
process.on('message', (m: string) => {
  if (m === 'cpu') process.send!({ cpu: process.cpuUsage() });
  if (m === 'exit') process.exit(0);
});
