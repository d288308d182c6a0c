// sbx's proxy for the benchmark, in its own process; answers CPU-usage queries over IPC.
import { compilePolicy } from '@sbx/policy';
import { watchGc } from './gc.ts';

// The built package (see ensureBuilt); typed from src/, which it is built from.
const dist = new URL('../dist/index.js', import.meta.url).href;
const { createProxy, loadCertificateAuthority } = (await import(
  dist
)) as typeof import('../src/index.ts');

const { upstreamCa, caCert, caKey } = JSON.parse(process.argv[2]!) as {
  upstreamCa: string;
  caCert: string;
  caKey: string;
};
const proxy = createProxy({
  policy: compilePolicy({
    allowHosts: ['localhost', '*.bench.test'],
    bypassHosts: ['bypass.bench.test'],
  }),
  ca: await loadCertificateAuthority({ certPem: caCert, keyPem: caKey }),
  upstreamCa,
  resolver: async () => ['127.0.0.1'],
  sandbox: 'bench',
});
const address = (await proxy.listen(0, '127.0.0.1')) as { port: number };
const gcPauses = watchGc();
process.on('message', (m: string) => {
  if (m === 'cpu') process.send!({ cpu: process.cpuUsage() });
  if (m === 'gc') process.send!({ gc: gcPauses() });
  if (m === 'exit') process.exit(0);
});
process.send!({ port: address.port });
