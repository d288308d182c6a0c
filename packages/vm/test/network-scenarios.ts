import { createSocket } from 'node:dgram';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { join } from 'node:path';
import { HTTPD, PEM, run, sh, WAIT_FOR_HTTPD, withLab } from './lab.ts';

/** Scenarios of the sandbox's network: no way out but the proxy bridge; a shared loopback. */
export const networkScenarios = {
  network: () =>
    withLab(async (lab) => {
      const tcp = createTcpServer((s) => s.end('reached\n'));
      await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
      const udp = createSocket('udp4');
      let datagrams = 0;
      udp.on('message', () => {
        datagrams++;
      });
      await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
      try {
        const sb = await lab.sandbox('net');
        await lab.driver.start(sb.dir);
        const tcpPort = (tcp.address() as { port: number }).port;
        const udpPort = udp.address().port;
        const direct = await run(lab.driver, sb.dir, sh(`nc -w 2 127.0.0.1 ${tcpPort} </dev/null`));
        const outside = await run(lab.driver, sb.dir, sh('nc -w 2 10.255.255.1 80 </dev/null'));
        const udpSend = await run(
          lab.driver,
          sb.dir,
          sh(`echo hi | nc -u -w 1 127.0.0.1 ${udpPort}`),
        );
        const dns = await run(lab.driver, sb.dir, sh('nslookup example.com 10.255.255.53'));
        const links = await run(
          lab.driver,
          sb.dir,
          sh('ls /sys/class/net 2>/dev/null || cat /proc/net/dev | tail -n +3 | cut -d: -f1'),
        );
        await new Promise((r) => setTimeout(r, 200));
        return {
          tcp: direct.stdout.includes('reached'),
          outside: outside.exitCode !== 0,
          udpDatagrams: datagrams,
          udpExit: udpSend.exitCode,
          dns: dns.exitCode !== 0,
          interfaces: links.stdout.trim().split(/\s+/),
        };
      } finally {
        tcp.close();
        udp.close();
      }
    }),

  bridge: () =>
    withLab(async (lab) => {
      const socket = join(lab.tmp, 'proxy.sock');
      const seen: string[] = [];
      const server = createHttpServer((req, res) => {
        seen.push(`${req.method} ${req.url}`);
        res.end('via proxy socket\n');
      });
      await new Promise<void>((r) => server.listen(socket, r));
      try {
        const sb = await lab.sandbox('bridge');
        await lab.driver.start(sb.dir, { proxySocket: socket, caCertPem: PEM });
        const direct = await run(
          lab.driver,
          sb.dir,
          sh('wget -q -O- http://host.docker.internal:3128/hello'),
        );
        const proxied = await run(lab.driver, sb.dir, sh('wget -q -O- http://example.com/page'));
        const env = await run(
          lab.driver,
          sb.dir,
          sh('env | grep -iE "proxy|ca_|cert|cainfo" | sort'),
        );
        const bundle = await run(
          lab.driver,
          sb.dir,
          sh('cat "$SSL_CERT_FILE"; echo ---; cat /etc/ssl/certs/ca-certificates.crt'),
        );
        return {
          direct: direct.stdout,
          proxied: proxied.stdout,
          seen,
          env: env.stdout,
          bundle: bundle.stdout,
        };
      } finally {
        server.close();
      }
    }),

  loopback: () =>
    withLab(async (lab) => {
      const sb = await lab.sandbox('lo');
      await lab.driver.start(sb.dir);
      await lab.driver.exec(sb.dir, { cmd: HTTPD, detach: true });
      return run(lab.driver, sb.dir, sh(WAIT_FOR_HTTPD));
    }),
};
