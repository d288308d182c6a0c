import { execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ProxyConfig, updateProxyConfig } from '@sbx/config';
import { createCertificateAuthority } from '@sbx/proxy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, descendants, hasBwrap, isRoot } from './bwrap.ts';
import { asUser, ordinaryUser, removeOrdinaryUser } from './ordinary-user.ts';
import { SBX_BIN } from './run-sbx.ts';
import { sandboxHome } from './sandbox-home.ts';

/** A loopback upstream that answers with the request's method, path and x-test-key header. */
async function upstream(): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    res.end(`${req.method} ${req.url} key=${req.headers['x-test-key'] ?? '-'}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/**
 * The same upstream over HTTPS, with a leaf for whatever name is asked (SNI) signed by its own
 * test CA, which only the sandbox's proxy is told to trust (SBX_PROXY_UPSTREAM_CA).
 */
async function tlsUpstream(): Promise<{ server: Server; port: number; caPem: string }> {
  const ca = await createCertificateAuthority({ sandbox: 'test-upstream' });
  const server = createHttpsServer(
    {
      SNICallback: (name, done) => ca.secureContext(name).then((c) => done(null, c), done),
    },
    (req, res) => res.end(`${req.method} ${req.url} key=${req.headers['x-test-key'] ?? '-'}\n`),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, caPem: ca.certPem };
}

// As root: sandboxes started by root on workspaces of an ordinary user, then everything run
// by that ordinary user itself. As another user: that user only.
const modes: [string, 'root' | 'user' | 'self'][] = isRoot
  ? [
      ['started by root', 'root'],
      ['started by an ordinary user', 'user'],
    ]
  : [['started by this user', 'self']];

describe.skipIf(!hasBwrap).each(modes)(
  'sandboxes on the host template, %s',
  { timeout: 180_000 },
  (_label, mode) => {
    let home: Awaited<ReturnType<typeof sandboxHome>>;
    let up: Awaited<ReturnType<typeof upstream>>;
    let tls: Awaited<ReturnType<typeof tlsUpstream>>;
    let other: string;
    let owner: { uid: number; gid: number } | undefined;

    /** Edits a sandbox's proxy-config.json as its owner would. */
    const editPolicy = async (name: string, edit: (c: ProxyConfig) => void) => {
      const file = join(home.env.DOCKER_CONFIG!, 'sandboxes/vm', name, 'proxy-config.json');
      await updateProxyConfig(file, edit);
      if (home.user) await chown(file, home.user.uid, home.user.gid);
    };
    // A credential rule read from SBX_TEST_KEY for host.docker.internal; added once.
    const addTestCredential = (name: string) =>
      editPolicy(name, (c) => {
        if (c.credentials.some((r) => r.env === 'SBX_TEST_KEY')) return;
        c.credentials.push({
          host: 'host.docker.internal',
          header: 'x-test-key',
          format: '{value}',
          env: 'SBX_TEST_KEY',
        });
      });

    beforeAll(async () => {
      owner = isRoot ? ordinaryUser() : undefined;
      home = await sandboxHome(mode === 'user' ? owner : undefined);
      up = await upstream();
      tls = await tlsUpstream();
      const upstreamCa = join(home.root, 'upstream-ca.pem');
      await writeFile(upstreamCa, tls.caPem, { mode: 0o644 });
      // The daemon the first command starts reads it (the CLI passes SBX_* to the daemon).
      home.env.SBX_PROXY_UPSTREAM_CA = upstreamCa;
      other = join(home.root, 'other');
      await mkdir(other);
      if (owner) {
        await chown(home.project, owner.uid, owner.gid);
        await chown(other, owner.uid, owner.gid);
      }
      await writeFile(join(home.root, 'secret.txt'), 'host secret\n', { mode: 0o644 });
      const created = await home.sbx([
        'create',
        'shell',
        home.project,
        '-t',
        'host',
        '--name',
        'a',
      ]);
      expect(created).toEqual({ code: 0, stdout: 'created and started sandbox a\n', stderr: '' });
      const b = await home.sbx(['create', 'shell', other, '-t', 'host', '-q']);
      expect(b).toEqual({ code: 0, stdout: 'shell-other\n', stderr: '' });
    }, 180_000);
    afterAll(async () => {
      await home?.[Symbol.asyncDispose]();
      up?.server.close();
      tls?.server.close();
      if (owner) removeOrdinaryUser();
    }, 180_000);

    const status = async (sandbox: string, url: string, env?: NodeJS.ProcessEnv) =>
      (
        await home.sbx(
          ['exec', sandbox, 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', url],
          { env },
        )
      ).stdout;

    it('returns a command’s output and exit code, with its arguments verbatim', async () => {
      expect(await home.sbx(['exec', 'a', 'sh', '-c', 'echo out; echo err >&2; exit 3'])).toEqual({
        code: 3,
        stdout: 'out\n',
        stderr: 'err\n',
      });
      expect(await home.sbx(['exec', 'a', 'printf', '%s|', '-la', '--help', '--', '-i'])).toEqual({
        code: 0,
        stdout: '-la|--help|--|-i|',
        stderr: '',
      });
      const inside = await home.sbx([
        'exec',
        '-w',
        '/',
        '-e',
        'X=1',
        'a',
        'sh',
        '-c',
        'echo $X $(pwd) $(hostname)',
      ]);
      expect(inside).toEqual({ code: 0, stdout: '1 / a\n', stderr: '' });
    });

    it('shows a workspace edit on the host at once and nothing else of the host', async () => {
      const edit = await home.sbx([
        'exec',
        'a',
        'sh',
        '-c',
        `echo edited > ${home.project}/file.txt`,
      ]);
      expect(edit).toEqual({ code: 0, stdout: '', stderr: '' });
      expect(await readFile(join(home.project, 'file.txt'), 'utf8')).toBe('edited\n');
      const outside = await home.sbx(['exec', 'a', 'cat', join(home.root, 'secret.txt')]);
      expect(outside.code).toBe(1);
      const listing = await home.sbx([
        'exec',
        'a',
        'sh',
        '-c',
        `ls -A /home /root /tmp ${other} 2>&1; true`,
      ]);
      expect(listing.stdout).not.toContain('secret');
      expect(listing.stdout).toContain(`${other}': No such file or directory`);
    });

    it('keeps an install outside the workspace across stop and start, in that sandbox only', async () => {
      const install = 'mkdir -p /srv/sbx-pkg && echo v1 > /srv/sbx-pkg/VERSION';
      expect(await home.sbx(['exec', '-u', 'root', 'a', 'sh', '-c', install])).toEqual({
        code: 0,
        stdout: '',
        stderr: '',
      });
      expect(await home.sbx(['stop', 'a'])).toEqual({ code: 0, stdout: 'a\n', stderr: '' });
      expect(JSON.parse((await home.sbx(['inspect', 'a', '--json'])).stdout).status).toBe(
        'stopped',
      );
      // exec starts a stopped sandbox first
      expect((await home.sbx(['exec', 'a', 'cat', '/srv/sbx-pkg/VERSION'])).stdout).toBe('v1\n');
      expect((await home.sbx(['exec', 'shell-other', 'cat', '/srv/sbx-pkg/VERSION'])).code).toBe(1);
      await expect(readFile('/srv/sbx-pkg/VERSION')).rejects.toThrow(/ENOENT/);
    });

    it("lets the sandbox's root install into the host's /usr, /etc and /opt: into its own layer, never the host's", async () => {
      const hostBin = statSync('/usr/bin');
      const hostEnv = readFileSync('/usr/bin/env');
      const install = [
        'printf "#!/bin/sh\\necho tool v1\\n" > /usr/bin/sbx-e2e-tool',
        'chmod 755 /usr/bin/sbx-e2e-tool',
        'mkdir -p /etc/sbx-e2e /opt/sbx-e2e/bin',
        'echo conf > /etc/sbx-e2e/conf',
        'cp /usr/bin/sbx-e2e-tool /opt/sbx-e2e/bin/tool',
        'rm /usr/bin/env',
      ].join(' && ');
      expect(await home.sbx(['exec', '-u', 'root', 'a', 'sh', '-c', install])).toEqual({
        code: 0,
        stdout: '',
        stderr: '',
      });
      // The host's own files stay read-only even to the sandbox's root (it may replace them).
      const append = await home.sbx([
        'exec',
        '-u',
        'root',
        'a',
        'sh',
        '-c',
        'echo x >> /usr/bin/sh',
      ]);
      expect(append.code).toBe(2);
      const layer = join(home.env.DOCKER_CONFIG!, 'sandboxes/vm/a/layer');
      expect(existsSync(join(layer, 'usr/upper/bin/sbx-e2e-tool'))).toBe(true);
      for (const path of ['/usr/bin/sbx-e2e-tool', '/etc/sbx-e2e', '/opt/sbx-e2e'])
        expect([path, existsSync(path)]).toEqual([path, false]);
      expect(readFileSync('/usr/bin/env')).toEqual(hostEnv);
      expect(statSync('/usr/bin').mtimeMs).toBe(hostBin.mtimeMs);
      await home.sbx(['stop', 'a']);
      const check = 'sbx-e2e-tool; /opt/sbx-e2e/bin/tool; cat /etc/sbx-e2e/conf; ls /usr/bin/env';
      expect(await home.sbx(['exec', 'a', 'sh', '-c', check])).toEqual({
        code: 2,
        stdout: 'tool v1\ntool v1\nconf\n',
        stderr: "ls: cannot access '/usr/bin/env': No such file or directory\n",
      });
      expect(await home.sbx(['exec', 'shell-other', 'sh', '-c', check])).toEqual({
        code: 0,
        stdout: '/usr/bin/env\n',
        stderr:
          'sh: 1: sbx-e2e-tool: not found\nsh: 1: /opt/sbx-e2e/bin/tool: not found\ncat: /etc/sbx-e2e/conf: No such file or directory\n',
      });
    });

    it('reaches the network only through the proxy, which applies policy edits to the running sandbox', async () => {
      const url = `http://host.docker.internal:${up.port}/hello`;
      expect(await status('a', url)).toBe('403');
      const allow = await home.sbx([
        'network',
        'proxy',
        'a',
        '--allow-host',
        `localhost:${up.port}`,
      ]);
      expect(allow.code).toBe(0);
      let answer = '';
      for (let i = 0; i < 100 && !answer.startsWith('GET'); i++) {
        answer = (await home.sbx(['exec', 'a', 'curl', '-sS', url])).stdout;
        if (!answer.startsWith('GET')) await sleep(100);
      }
      expect(answer).toBe('GET /hello key=-\n');
      expect(await status('shell-other', url)).toBe('403');
      const direct = await home.sbx([
        'exec',
        'a',
        'curl',
        '-sS',
        '--noproxy',
        '*',
        '--max-time',
        '5',
        `http://127.0.0.1:${up.port}/`,
      ]);
      expect(direct.code).toBe(7);
      expect((await home.sbx(['exec', 'a', 'getent', 'hosts', 'example.com'])).code).toBe(2);
      const log = (await home.sbx(['network', 'log', 'a'])).stdout.split('\n').filter(Boolean);
      // The time and the duration vary: the rest is the event (the rule that decided, the status).
      expect(log.map((line) => line.replace(/^\S+ /, '').replace(/ \d+ms$/, ''))).toEqual([
        `sandbox=a request GET http://host.docker.internal:${up.port}/hello denied status=403 rule=127.0.0.0/8`,
        ...Array(log.length - 1).fill(
          `sandbox=a request GET http://host.docker.internal:${up.port}/hello allowed status=200 rule=localhost:${up.port}`,
        ),
      ]);
      expect(log.every((line) => / \d+ms$/.test(line))).toBe(true);
      const json = (await home.sbx(['network', 'log', 'shell-other', '--json'])).stdout;
      expect(
        json
          .split('\n')
          .filter(Boolean)
          .map((l) => [JSON.parse(l).sandbox, JSON.parse(l).action]),
      ).toEqual([['shell-other', 'denied']]);
    });

    it('sends no UDP packet and no DNS query to the host, on any of its addresses', async () => {
      const received: Buffer[] = [];
      const udp = createSocket('udp4');
      udp.on('message', (message) => received.push(message));
      await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
      try {
        const port = udp.address().port;
        // A DNS query for example.com (id 0x1234, recursion desired), as a resolver sends it.
        const query = Buffer.from(
          '123401000001000000000000076578616d706c6503636f6d0000010001',
          'hex',
        );
        const octal = [...query].map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('');
        const send = (text: string, host: string) => `printf '${text}' > /dev/udp/${host}/${port}`;
        // The same commands from the host do arrive: the listener and the commands work.
        execFileSync('bash', [
          '-c',
          `${send('from host', '127.0.0.1')}; ${send(octal, '127.0.0.1')}`,
        ]);
        for (let i = 0; i < 50 && received.length < 2; i++) await sleep(20);
        expect(received).toEqual([Buffer.from('from host'), query]);
        received.length = 0;
        const external = Object.values(networkInterfaces())
          .flat()
          .filter((a) => a && a.family === 'IPv4' && !a.internal)
          .map((a) => a!.address);
        const attempts: [string, number][] = [
          [send('sandbox to 127.0.0.1', '127.0.0.1'), 0],
          [send('sandbox to host.docker.internal', 'host.docker.internal'), 0],
          [send(octal, '127.0.0.1'), 0],
          ...external.map((address): [string, number] => [send('sandbox to host', address), 1]),
        ];
        for (const [script, code] of attempts) {
          expect([script, (await home.sbx(['exec', 'a', 'bash', '-c', script])).code]).toEqual([
            script,
            code,
          ]);
        }
        // The resolver the host's /etc/resolv.conf names is out of reach too.
        expect((await home.sbx(['exec', 'a', 'busybox', 'nslookup', 'example.com'])).code).toBe(1);
        expect((await home.sbx(['exec', 'a', 'getent', 'hosts', 'example.com'])).code).toBe(2);
        await sleep(300);
        expect(received).toEqual([]);
      } finally {
        udp.close();
      }
    });

    it.each([
      ['-i', ['-i']],
      ['no flag', []],
    ])('passes Ctrl-C to a command run with %s (no tty) and exits 130', async (_label, flags) => {
      const command = [...(home.user ? asUser(home.user) : []), process.execPath, SBX_BIN];
      const child = spawn(
        command[0]!,
        [...command.slice(1), 'exec', ...flags, 'a', 'sh', '-c', 'echo ready; exec sleep 60'],
        { env: { ...process.env, ...home.env }, stdio: ['pipe', 'pipe', 'pipe'] },
      );
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      await new Promise<void>((resolve) => {
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          if (chunk.includes('ready')) resolve();
        });
      });
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      child.stdin.end();
    });

    it('follows the request log as it happens, and runs detached commands', async () => {
      const url = `http://host.docker.internal:${up.port}/followed`;
      const command = [...(home.user ? asUser(home.user) : []), process.execPath, SBX_BIN];
      const follower = spawn(
        command[0]!,
        [...command.slice(1), 'network', 'log', 'a', '-f', '--json', '--limit', '0'],
        {
          env: { ...process.env, ...home.env },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      try {
        const first = new Promise<string>((resolve) => {
          let buffer = '';
          follower.stdout.setEncoding('utf8').on('data', (chunk: string) => {
            buffer += chunk;
            if (buffer.includes('\n')) resolve(buffer.slice(0, buffer.indexOf('\n')));
          });
        });
        let line: string | undefined;
        for (let i = 0; i < 50 && line === undefined; i++) {
          await home.sbx(['exec', 'a', 'curl', '-s', '-o', '/dev/null', url]);
          line = await Promise.race([first, sleep(200).then(() => undefined)]);
        }
        const event = JSON.parse(line!);
        expect([
          event.sandbox,
          event.type,
          event.method,
          event.url,
          event.action,
          event.status,
        ]).toEqual(['a', 'request', 'GET', url, 'allowed', 200]);
      } finally {
        follower.kill();
      }
      // SIGTERM (or Ctrl-C) ends following cleanly.
      expect(await new Promise((resolve) => follower.once('exit', resolve))).toBe(0);
      const marker = join(home.project, 'detached.txt');
      const detached = await home.sbx([
        'exec',
        '-d',
        'a',
        'sh',
        '-c',
        `sleep 0.2; echo done > ${marker}`,
      ]);
      expect(detached).toEqual({ code: 0, stdout: '', stderr: '' });
      let text = '';
      for (let i = 0; i < 100 && text === ''; i++) {
        text = await readFile(marker, 'utf8').catch(() => '');
        if (text === '') await sleep(100);
      }
      expect(text).toBe('done\n');
    });

    it('injects the real credential upstream while the sandbox sees only the placeholder', async () => {
      await addTestCredential('a');
      await home.sbx(['stop', 'a']);
      const url = `http://host.docker.internal:${up.port}/key`;
      const script = `echo "inside=$SBX_TEST_KEY"; curl -sS -H 'x-test-key: forged' ${url}`;
      const seen = await home.sbx(['exec', 'a', 'sh', '-c', script], {
        env: { SBX_TEST_KEY: 'real-secret-42' },
      });
      expect(seen).toEqual({
        code: 0,
        stdout: 'inside=proxy-managed\nGET /key key=real-secret-42\n',
        stderr: '',
      });
      const files = [
        join(home.env.DOCKER_CONFIG!, 'sandboxes/vm/a/logs/requests.jsonl'),
        join(home.env.DOCKER_CONFIG!, 'sandboxes/vm/a/metadata.json'),
        join(home.env.SANDBOXD_HOME!, 'sandboxd.log'),
      ];
      for (const file of files)
        expect((await readFile(file, 'utf8')).includes('real-secret-42')).toBe(false);
    });

    it('intercepts HTTPS on the host template with the sandbox CA and injects the credential', async () => {
      await home.sbx(['network', 'proxy', 'a', '--allow-host', `localhost:${tls.port}`]);
      await addTestCredential('a');
      await home.sbx(['stop', 'a']);
      const url = `https://host.docker.internal:${tls.port}/tls`;
      // curl trusts only the sandbox's bundle; the test CA is known to the proxy alone.
      const script = `curl -sS --cacert "$SSL_CERT_FILE" -H 'x-test-key: forged' ${url}; [ "$CURL_CA_BUNDLE" = "$SSL_CERT_FILE" ] && echo same-bundle`;
      const seen = await home.sbx(['exec', 'a', 'sh', '-c', script], {
        env: { SBX_TEST_KEY: 'real-secret-42' },
      });
      expect(seen).toEqual({
        code: 0,
        stdout: 'GET /tls key=real-secret-42\nsame-bundle\n',
        stderr: '',
      });
      const issuer = await home.sbx([
        'exec',
        'a',
        'sh',
        '-c',
        `curl -sv -o /dev/null ${url} 2>&1 | sed -n 's/^\\*  *issuer: //p'`,
      ]);
      expect(issuer).toEqual({
        code: 0,
        stdout: 'CN=sbx proxy CA for sandbox a; O=sbx\n',
        stderr: '',
      });
    });

    it('keeps sandboxes apart: loopback, files, and one failing leaves the other running', async () => {
      const serve = ['busybox', 'httpd', '-f', '-p', '127.0.0.1:9999', '-h', '/etc'];
      expect((await home.sbx(['exec', '-d', 'a', ...serve])).code).toBe(0);
      const get = [
        'curl',
        '-s',
        '--noproxy',
        '*',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        'http://127.0.0.1:9999/hostname',
      ];
      let own = '';
      for (let i = 0; i < 50 && own !== '200'; i++) {
        own = (await home.sbx(['exec', 'a', ...get])).stdout;
        if (own !== '200') await sleep(100);
      }
      expect(own).toBe('200');
      expect(await home.sbx(['exec', 'shell-other', ...get])).toMatchObject({
        code: 7,
        stdout: '000',
      });
      expect((await home.sbx(['exec', 'shell-other', 'ls', home.project])).code).not.toBe(0);
      // Kill sandbox a's namespaces from outside: sandboxd notices, b runs on.
      const state = JSON.parse(
        await readFile(join(home.env.DOCKER_CONFIG!, 'sandboxes/vm/a/run/state.json'), 'utf8'),
      );
      process.kill(state.bwrapPid, 'SIGKILL');
      let listed = '';
      for (let i = 0; i < 100 && !/\na +shell +stopped/.test(listed); i++) {
        await sleep(100);
        listed = (await home.sbx(['ls'])).stdout;
      }
      expect(listed).toMatch(/\na +shell +stopped/);
      expect(listed).toMatch(/\nshell-other +shell +running/);
      expect((await home.sbx(['exec', 'shell-other', 'true'])).code).toBe(0);
      expect((await home.sbx(['exec', 'a', 'cat', '/srv/sbx-pkg/VERSION'])).stdout).toBe('v1\n');
    });

    it('lists, stops and removes with the right states', async () => {
      const ls = JSON.parse((await home.sbx(['ls', '--json'])).stdout) as {
        name: string;
        status: string;
      }[];
      expect(ls.map((s) => [s.name, s.status])).toEqual([
        ['a', 'running'],
        ['shell-other', 'running'],
      ]);
      const table = (await home.sbx(['ls'])).stdout.split('\n');
      expect(table[0]).toMatch(/^NAME {9}AGENT {2}STATUS {3}TEMPLATE {2}WORKSPACE +CREATED$/);
      expect(table[1]).toMatch(/^a {12}shell {2}running {2}host {6}\//);
      expect(await home.sbx(['stop', 'shell-other'])).toEqual({
        code: 0,
        stdout: 'shell-other\n',
        stderr: '',
      });
      expect((await home.sbx(['inspect', 'shell-other'])).stdout).toMatch(
        /^Name: +shell-other\nAgent: +shell\nStatus: +stopped\n/,
      );
      expect(await home.sbx(['rm', 'shell-other'])).toEqual({
        code: 0,
        stdout: 'shell-other\n',
        stderr: '',
      });
      expect(await home.sbx(['ls', '-q'])).toEqual({ code: 0, stdout: 'a\n', stderr: '' });
      expect(await readFile(join(home.project, 'file.txt'), 'utf8')).toBe('edited\n');
    });

    it('leaves no process behind when sandboxd is killed, and the next command recovers', async () => {
      const { pid } = JSON.parse((await home.sbx(['daemon', 'status', '--json'])).stdout);
      const children = descendants(pid);
      expect(children.length).toBeGreaterThan(0);
      process.kill(pid, 'SIGKILL');
      let left = alive(children);
      for (let i = 0; i < 100 && left.length > 0; i++) {
        await sleep(100);
        left = alive(children);
      }
      expect(left).toEqual([]);
      // The sandbox's state file still names the dead daemon and init: exec must not trust
      // it, and starts a new daemon and the sandbox instead (with its files intact).
      expect(await home.sbx(['exec', 'a', 'cat', '/srv/sbx-pkg/VERSION'])).toEqual({
        code: 0,
        stdout: 'v1\n',
        stderr: '',
      });
      expect((await home.sbx(['ls'])).stdout).toMatch(/\na +shell +running +host/);
      expect(JSON.parse((await home.sbx(['daemon', 'status', '--json'])).stdout).pid).not.toBe(pid);
    });

    it('reports a missing agent binary with what to do', async () => {
      const result = await home.sbx(['run', 'claude', home.project, '-t', 'host']);
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr: `sbx: agent binary "claude" not found in sandbox: sandbox "claude-project" uses template "host", which does not provide it; install it inside ('sbx exec -it claude-project sh') or create the sandbox from a template that has it ('sbx run claude --template IMAGE')\n`,
      });
    });

    it('runs an agent with its arguments after --, reusing the sandbox of the same agent and workspace', async () => {
      const fake = '#!/bin/sh\necho "claude $* key=$ANTHROPIC_API_KEY"\n';
      // Installed off the default PATH (like a user-level npm prefix), which -e puts on PATH.
      const install = `mkdir -p /srv/bin && printf '%s' '${fake}' > /srv/bin/claude && chmod 755 /srv/bin/claude`;
      expect(
        (await home.sbx(['exec', '-u', 'root', 'claude-project', 'sh', '-c', install])).code,
      ).toBe(0);
      const env = { ANTHROPIC_API_KEY: 'sk-real' };
      const path = ['-e', 'PATH=/srv/bin:/usr/bin:/bin'];
      const args = ['run', 'claude', home.project, '-t', 'host', ...path, '--', '-p', 'hi'];
      expect(await home.sbx(args, { env })).toEqual({
        code: 0,
        stdout: 'claude --dangerously-skip-permissions -p hi key=proxy-managed\n',
        stderr: '',
      });
      expect((await home.sbx(['run', 'claude-project', ...path, '--', '--version'])).stdout).toBe(
        'claude --dangerously-skip-permissions --version key=proxy-managed\n',
      );
      expect((await home.sbx(['ls', '-q'])).stdout).toBe('a\nclaude-project\n');
    });

    it('resets only with -f when there is no terminal, keeping workspace files', async () => {
      expect((await home.sbx(['reset'])).code).toBe(1);
      expect(await home.sbx(['reset', '-f'])).toEqual({
        code: 0,
        stdout: 'removed a, claude-project\n',
        stderr: '',
      });
      expect((await home.sbx(['ls', '-q'])).stdout).toBe('');
      // The host template's shared trees go too, though they belong to the sandboxes' root.
      expect(existsSync(join(home.env.SANDBOXD_HOME!, 'host-dirs'))).toBe(false);
      expect(await readFile(join(home.project, 'file.txt'), 'utf8')).toBe('edited\n');
    });
  },
);
