// `pnpm bench`: sbx's proxy against direct connections (and mitmdump for (a) and (c), tinyproxy
// for (b) and (c): the peers the issue quotes), one run,
// interleaved rounds, loopback only. Prints ratios to direct and the proxy's CPU per request.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, Client, type Dispatcher, ProxyAgent } from 'undici';
import { createCertificateAuthority } from '../src/index.ts';
import { childCpu, ensureBuilt, forkChild, startMitmdump, startTinyproxy } from './children.ts';
import { childGc, watchGc } from './gc.ts';
import { closedLoop, download, median, timed } from './load.ts';
import { addedRow, printReport, ratio, Steal } from './report.ts';
import { eventStreams, type Stream, type StreamRow } from './streams.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BULK = Number(process.env.BENCH_BULK_BYTES ?? 1024 ** 3);
const NEW_HOSTS = 30;
const WARM_MS = Number(process.env.BENCH_WARM_MS ?? 1000);
// BENCH_ONLY=a,b runs some scenarios; BENCH_CPU_PROF=DIR writes the proxy's CPU profile there.
const ONLY = new Set((process.env.BENCH_ONLY ?? 'a,b,c,d,e').split(','));
const PROFILE = process.env.BENCH_CPU_PROF;
/** This process's GC pauses, for the line on (d)'s longest holds. */
const gcHere = watchGc();
const names = Array.from({ length: NEW_HOSTS * ROUNDS }, (_, i) => `h${i}.bench.test`);
const BYPASS = 'bypass.bench.test';

await ensureBuilt();
const upstreamCa = await createCertificateAuthority({ sandbox: 'bench-upstream' });
const proxyCa = await createCertificateAuthority({ sandbox: 'bench' });
const children: ChildProcess[] = [];
const confdir = await mkdtemp(join(tmpdir(), 'sbx-bench-mitm-'));
try {
  const upstream = await forkChild<{ https: number; http: number }>('./upstream.child.ts', {
    certPem: upstreamCa.certPem,
    keyPem: upstreamCa.keyPem,
    names: [BYPASS, ...names],
  });
  children.push(upstream.child);
  const sbx = await forkChild<{ port: number }>(
    './proxy.child.ts',
    {
      upstreamCa: upstreamCa.certPem,
      caCert: proxyCa.certPem,
      caKey: proxyCa.keyPem,
    },
    PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : [],
  );
  children.push(sbx.child);
  // The floor of (a) and (d): a bare TLS-terminating pipe in Node (see pipe.child.ts).
  const pipe =
    ONLY.has('a') || ONLY.has('d')
      ? await forkChild<{ port: number }>('./pipe.child.ts', {
          upstreamCa: upstreamCa.certPem,
          caCert: proxyCa.certPem,
          caKey: proxyCa.keyPem,
        })
      : undefined;
  if (pipe) children.push(pipe.child);
  const mitm = await startMitmdump(confdir);
  if (mitm) children.push(mitm.child);
  else console.log('mitmdump not found: its column stays empty');
  const tiny = await startTinyproxy(confdir);
  if (tiny) children.push(tiny.child);
  else console.log('tinyproxy not found: its column stays empty');

  const { https, http } = upstream.info;
  const sbxUrl = `http://127.0.0.1:${sbx.info.port}`;
  const direct = new Agent({ connect: { ca: upstreamCa.certPem, servername: 'localhost' } });
  const viaSbx = new ProxyAgent({ uri: sbxUrl, requestTls: { ca: proxyCa.certPem } });
  const viaMitm = mitm
    ? new ProxyAgent({ uri: `http://127.0.0.1:${mitm.port}`, requestTls: { ca: mitm.ca } })
    : undefined;
  const forward = new ProxyAgent({ uri: sbxUrl, proxyTunnel: false });
  const tinyUrl = tiny ? `http://127.0.0.1:${tiny.port}` : undefined;
  const tinyForward = tinyUrl ? new ProxyAgent({ uri: tinyUrl, proxyTunnel: false }) : undefined;
  // TLS end to end through a tunnel nobody intercepts: sbx's bypass relay, tinyproxy's CONNECT.
  const bypass = new ProxyAgent({ uri: sbxUrl, requestTls: { ca: upstreamCa.certPem } });
  const tinyTunnel = tinyUrl
    ? new ProxyAgent({ uri: tinyUrl, requestTls: { ca: upstreamCa.certPem } })
    : undefined;
  const directUrl = `https://127.0.0.1:${https}/`;
  const proxiedUrl = `https://localhost:${https}/`;
  const bypassUrl = `https://${BYPASS}:${https}/`;
  const ms = SECONDS * 1000;
  const viaPipe = pipe
    ? new ProxyAgent({
        uri: `http://127.0.0.1:${pipe.info.port}`,
        requestTls: { ca: proxyCa.certPem },
      })
    : undefined;

  let cpuRequests = 0;
  let cpuTime = 0;
  /** Runs `run` counting the CPU time of `child` (sbx's proxy unless said) per request. */
  const sbxRun = async <T>(
    run: () => Promise<T>,
    count: (result: T) => number,
    child: ChildProcess = sbx.child,
  ) => {
    const before = await childCpu(child);
    const result = await run();
    cpuTime += (await childCpu(child)) - before;
    cpuRequests += count(result);
    return result;
  };
  const rows: string[][] = [];
  const cpu = () => {
    const value = cpuRequests ? `${Math.round(cpuTime / cpuRequests)} µs` : '';
    cpuRequests = cpuTime = 0;
    return value;
  };

  // Warm every path (pools, leaf for localhost, mitmdump's certificate) long enough for V8 to
  // have compiled the hot code of every process: a fresh proxy spends its first seconds of
  // load largely in the optimising compiler, which is start-up, not per-request cost.
  for (const concurrency of [1, 32]) {
    await closedLoop(direct, directUrl, concurrency, WARM_MS);
    await closedLoop(viaSbx, proxiedUrl, concurrency, WARM_MS);
    if (viaMitm) await closedLoop(viaMitm, proxiedUrl, concurrency, 200);
    await closedLoop(direct, `http://127.0.0.1:${http}/`, concurrency, WARM_MS);
    await closedLoop(forward, `http://localhost:${http}/`, concurrency, WARM_MS);
    if (tinyForward) await closedLoop(tinyForward, `http://127.0.0.1:${http}/`, concurrency, 200);
    await closedLoop(bypass, bypassUrl, concurrency, WARM_MS);
    if (tinyTunnel) await closedLoop(tinyTunnel, proxiedUrl, concurrency, 200);
    if (viaPipe) await closedLoop(viaPipe, proxiedUrl, concurrency, WARM_MS);
  }

  // (a) HTTPS keep-alive small requests through TLS interception; (b) plain-HTTP forwarding.
  // Short rounds, the order flipped every round, and the median of the per-round ratios: a
  // load spike from elsewhere on the machine then spoils one round, not the result.
  const closedLoops = async (
    label: string,
    concurrency: number,
    target: string,
    paths: {
      direct: () => Promise<number>;
      sbx: () => Promise<number>;
      mitm?: () => Promise<number>;
      tiny?: () => Promise<number>;
    },
    child?: ChildProcess,
  ) => {
    const d: number[] = [];
    const s: number[] = [];
    const m: number[] = [];
    const t: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const runs: (() => Promise<void>)[] = [
        async () => void d.push(await paths.direct()),
        async () => void s.push(await sbxRun(paths.sbx, (n) => n, child)),
      ];
      if (paths.mitm) runs.push(async () => void m.push(await paths.mitm!()));
      if (paths.tiny) runs.push(async () => void t.push(await paths.tiny!()));
      if (round % 2) runs.reverse();
      for (const run of runs) await run();
    }
    const rps = (v: number[]) => `${(median(v) / SECONDS).toFixed(0)} req/s`;
    rows.push([
      `${label}, ${concurrency} concurrent`,
      rps(d),
      rps(s),
      ratio(s, d),
      m.length ? ratio(m, d) : '',
      t.length ? ratio(t, d) : '',
      target,
      cpu(),
    ]);
  };
  const steal = new Steal();
  let holds = '';
  for (const concurrency of ONLY.has('a') ? [1, 32] : []) {
    await closedLoops(
      '(a) HTTPS keep-alive',
      concurrency,
      concurrency === 1 ? '>= 0.50x' : '>= 0.40x',
      {
        direct: () => closedLoop(direct, directUrl, concurrency, ms),
        sbx: () => closedLoop(viaSbx, proxiedUrl, concurrency, ms),
        mitm: viaMitm ? () => closedLoop(viaMitm, proxiedUrl, concurrency, ms) : undefined,
      },
    );
    // The same requests with TLS end to end through a tunnel that only relays bytes: what a
    // proxy process in the path costs before it parses or decrypts anything.
    await closedLoops('    the same through a bypass tunnel (relay only)', concurrency, '', {
      direct: () => closedLoop(direct, directUrl, concurrency, ms),
      sbx: () => closedLoop(bypass, bypassUrl, concurrency, ms),
      tiny: tinyTunnel ? () => closedLoop(tinyTunnel, proxiedUrl, concurrency, ms) : undefined,
    });
    // Not sbx: what any Node process terminating TLS both ways costs (see pipe.child.ts).
    if (pipe && viaPipe) {
      await closedLoops(
        '    floor: a bare TLS pipe in Node, not sbx',
        concurrency,
        '',
        {
          direct: () => closedLoop(direct, directUrl, concurrency, ms),
          sbx: () => closedLoop(viaPipe, proxiedUrl, concurrency, ms),
        },
        pipe.child,
      );
    }
  }
  if (ONLY.has('a')) steal.mark('(a)');
  if (ONLY.has('b')) {
    await closedLoops('(b) plain HTTP forward', 32, '>= 0.40x', {
      direct: () => closedLoop(direct, `http://127.0.0.1:${http}/`, 32, ms),
      sbx: () => closedLoop(forward, `http://localhost:${http}/`, 32, ms),
      tiny: tinyForward
        ? () => closedLoop(tinyForward, `http://127.0.0.1:${http}/`, 32, ms)
        : undefined,
    });
  }

  // (c) bulk download through a bypass tunnel. What a bypass tunnel carries is TLS (a CONNECT
  // to a host sbx must not intercept), so the main row downloads over HTTPS end to end; the
  // second row sends plain HTTP through the same tunnel, where nothing but the relay costs.
  if (ONLY.has('b')) steal.mark('(b)');
  if (ONLY.has('c')) {
    // mitmdump passing every CONNECT through untouched: the same job in another proxy.
    const plainMitm = await startMitmdump(confdir, ['--set', 'ignore_hosts=.*']);
    if (plainMitm) children.push(plainMitm.child);
    for (const secure of [true, false]) {
      const scheme = secure ? 'https' : 'http';
      const port = secure ? https : http;
      const requestTls = { ca: upstreamCa.certPem };
      const tunnel = new ProxyAgent({ uri: sbxUrl, requestTls });
      const viaPlainMitm = plainMitm
        ? new ProxyAgent({ uri: `http://127.0.0.1:${plainMitm.port}`, requestTls })
        : undefined;
      const viaTiny = tinyUrl ? new ProxyAgent({ uri: tinyUrl, requestTls }) : undefined;
      const path = `/bulk?n=${BULK}`;
      const peerUrl = `${scheme}://localhost:${port}${path}`;
      const d: number[] = [];
      const s: number[] = [];
      const m: number[] = [];
      const t: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const runs = [
          async () => void d.push(await download(direct, `${scheme}://127.0.0.1:${port}${path}`)),
          async () =>
            void s.push(
              await sbxRun(
                () => download(tunnel, `${scheme}://${BYPASS}:${port}${path}`),
                () => 1,
              ),
            ),
        ];
        if (viaPlainMitm) runs.push(async () => void m.push(await download(viaPlainMitm, peerUrl)));
        if (viaTiny) runs.push(async () => void t.push(await download(viaTiny, peerUrl)));
        if (round % 2) runs.reverse();
        for (const run of runs) await run();
      }
      await Promise.all([tunnel.close(), viaPlainMitm?.close(), viaTiny?.close()]);
      const mbs = (v: number[]) => `${(median(v) / 1e6).toFixed(0)} MB/s`;
      rows.push([
        secure
          ? `(c) bulk ${(BULK / 1024 ** 3).toFixed(2)} GiB over HTTPS, bypass tunnel`
          : '    the same over plain HTTP (relay cost alone)',
        mbs(d),
        mbs(s),
        ratio(s, d),
        m.length ? ratio(m, d) : '',
        t.length ? ratio(t, d) : '',
        secure ? '>= 0.90x' : '',
        `${(cpuTime / 1000 / cpuRequests / (BULK / 1024 ** 3)).toFixed(0)} ms/GiB`,
      ]);
      cpuRequests = cpuTime = 0;
    }
  }

  // (d) server-sent events (streams.ts): through TLS interception; the same stream forwarded
  // as plain HTTP, and relayed with TLS end to end through sbx's bypass tunnel and tinyproxy's
  // CONNECT (a process hop and nothing else); and the bare pipe, the floor.
  if (ONLY.has('c')) steal.mark('(c)');
  if (ONLY.has('d')) {
    const directHttps: Stream = [direct, `https://127.0.0.1:${https}/sse`];
    const intercepted = `https://localhost:${https}/sse`;
    const table: StreamRow[] = [
      {
        label: '(d) SSE 50 events / 20 ms, p50 (max) delay',
        name: 'intercepted',
        target: '< +0.2 ms, max < 20 ms',
        via: [viaSbx, intercepted],
        direct: directHttps,
      },
      {
        label: '    the same forwarded as plain HTTP',
        name: 'forwarded',
        target: '',
        via: [forward, `http://localhost:${http}/sse`],
        direct: [direct, `http://127.0.0.1:${http}/sse`],
      },
      {
        label: '    the same through a bypass tunnel (relay only)',
        name: 'relayed',
        target: '',
        via: [bypass, `https://${BYPASS}:${https}/sse`],
        direct: directHttps,
        ...(tinyTunnel ? { peer: [tinyTunnel, intercepted] as Stream } : {}),
      },
    ];
    // Not sbx: what any Node process terminating TLS both ways adds, parsing nothing.
    if (viaPipe) {
      table.push({
        label: '    floor: a bare TLS pipe in Node, not sbx',
        name: 'bare pipe',
        target: '',
        via: [viaPipe, intercepted],
        direct: directHttps,
      });
    }
    const streams = await eventStreams(table, ROUNDS, WARM_MS, {
      here: gcHere,
      proxy: () => childGc(sbx.child),
    });
    rows.push(...streams.rows);
    holds = streams.holds;
  }

  // (e) a new client connection per request through TLS interception, and the first
  // request to a new host (leaf minted, new upstream pool).
  if (ONLY.has('d')) steal.mark('(d)');
  if (ONLY.has('e')) {
    const d: number[] = [];
    const s: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < 50; i++) {
        d.push(await timed(direct, directUrl, true));
        s.push(
          await sbxRun(
            () => timed(viaSbx, proxiedUrl, true),
            () => 1,
          ),
        );
      }
    }
    rows.push(addedRow('(e) new connection per request', d, s, '< +5 ms', cpu()));
    const fd: number[] = [];
    const fs: number[] = [];
    for (const name of names) {
      const client = new Client(`https://127.0.0.1:${https}`, {
        connect: { ca: upstreamCa.certPem, servername: name },
      });
      fd.push(await timed(client, `https://127.0.0.1:${https}/`));
      await client.close();
      fs.push(
        await sbxRun(
          () => timed(viaSbx, `https://${name}:${https}/`),
          () => 1,
        ),
      );
    }
    rows.push(addedRow('(e) first request to a new host', fd, fs, '< +10 ms', cpu()));
  }

  if (ONLY.has('e')) steal.mark('(e)');
  await Promise.all([
    bypass.close(),
    tinyTunnel?.close(),
    direct.close(),
    viaSbx.close(),
    forward.close(),
    viaMitm?.close(),
    viaPipe?.close(),
    tinyForward?.close(),
  ]);
  printReport(
    rows,
    new Map<Dispatcher | undefined, string>([
      [direct, 'direct'],
      [viaSbx, 'sbx, intercepted'],
      [forward, 'sbx, forwarded'],
      [bypass, 'sbx, bypass tunnel'],
      [viaMitm, 'mitmdump'],
      [tinyForward, 'tinyproxy, forwarded'],
      [tinyTunnel, 'tinyproxy, tunnel'],
      [viaPipe, 'bare Node TLS pipe'],
    ]),
    [steal.summary(), holds],
  );
  console.log(
    `\n${ROUNDS} interleaved rounds of ${SECONDS} s (ratios: median of the rounds, range in brackets); loopback; the load generator, upstream and proxy share this machine's ${(await import('node:os')).availableParallelism()} cores.`,
  );
} finally {
  // The proxy exits by itself so that its CPU profile gets written.
  const exited = new Promise((r) => children[1]?.once('exit', r));
  children[1]?.send('exit');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
  for (const child of children) child.kill();
  await rm(confdir, { recursive: true, force: true });
}
