import {
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createNamespaceDriver, type TemplateSource } from '../src/index.ts';
import { busyboxRootfs } from './fixtures.ts';
import { HTTPD, PAGE, PEM, run, sh, WAIT_FOR_HTTPD, withLab } from './lab.ts';
import { networkScenarios } from './network-scenarios.ts';

export type { Output } from './lab.ts';
export { PEM, run } from './lab.ts';

/** Every scenario returns plain data, so the same one runs in-process or as another user. */
export const scenarios = {
  preflight: () => createNamespaceDriver().preflight(),

  output: () =>
    withLab(async (lab) => {
      const sb = await lab.sandbox('out');
      const [first, second] = await Promise.all([
        lab.driver.start(sb.dir),
        lab.driver.start(sb.dir),
      ]);
      return {
        status: (await lab.driver.inspect(sb.dir)).status,
        oneInit: first.pid !== undefined && first.pid === second.pid,
        result: await run(lab.driver, sb.dir, sh('echo out; echo err >&2; exit 3')),
        identity: await run(lab.driver, sb.dir, sh('id -un; id -u; pwd; hostname')),
        ids: (await run(lab.driver, sb.dir, { cmd: ['id'] })).stdout,
        root: await run(lab.driver, sb.dir, sh('id -un; whoami', { user: 'root', workdir: '/' })),
        dev: (await run(lab.driver, sb.dir, sh('ls /dev | tr "\\n" " "'))).stdout,
        tty: await run(lab.driver, sb.dir, sh('test -t 0 && test -t 1 && echo tty', { tty: true })),
        noTty: await run(lab.driver, sb.dir, sh('test -t 1 && echo tty || echo none')),
        orphansReaped: (
          await run(
            lab.driver,
            sb.dir,
            sh(
              'sh -c "sleep 0.1 &"; sleep 0.3; for i in $(seq 20); do ' +
                'ps -o stat | grep -q "^Z" || break; sleep 0.1; done; ps -o stat | grep -c "^Z" || true',
            ),
          )
        ).stdout,
        killed: await (async () => {
          const proc = await lab.driver.exec(sb.dir, { cmd: ['sleep', '100'] });
          await new Promise((r) => setTimeout(r, 100));
          proc.kill('SIGTERM');
          return proc.exited;
        })(),
        args: await run(lab.driver, sb.dir, {
          cmd: ['echo', '--dash', '$HOME', 'a b'],
          env: { X: '1' },
        }),
      };
    }),

  workspace: () =>
    withLab(async (lab) => {
      const sb = await lab.sandbox('ws', undefined, true);
      await lab.driver.start(sb.dir);
      const write = await run(lab.driver, sb.dir, sh('echo edited > note.txt'));
      const onHost = readFileSync(join(sb.ws, 'note.txt'), 'utf8');
      const ro = sb.workspaces[1]!.path;
      const roWrite = await run(lab.driver, sb.dir, sh(`echo changed > ${ro}/keep.txt`));
      return {
        write: write.exitCode,
        onHost,
        roFailed: roWrite.exitCode !== 0,
        roKept: readFileSync(join(ro, 'keep.txt'), 'utf8'),
      };
    }),

  hidden: () =>
    withLab(async (lab) => {
      const tmpSecret = join(tmpdir(), `sbx-secret-${process.pid}`);
      const homeSecret = join(homedir(), `.sbx-secret-${process.pid}`);
      writeFileSync(tmpSecret, 'secret');
      writeFileSync(homeSecret, 'secret');
      try {
        const sb = await lab.sandbox('hidden', { type: 'host' });
        await lab.driver.start(sb.dir);
        const probe = (path: string) =>
          run(lab.driver, sb.dir, sh(`test -e ${path} && echo visible || echo hidden`));
        return {
          tmpFile: (await probe(tmpSecret)).stdout,
          homeFile: (await probe(homeSecret)).stdout,
          sandboxDir: (await probe(sb.dir)).stdout,
          tmpListing: (
            await run(lab.driver, sb.dir, sh('ls -A /tmp /var/tmp /run'))
          ).stdout.replace(basename(lab.tmp), '<workspace parent>'),
          shadow:
            (await run(lab.driver, sb.dir, sh('cat /etc/shadow', { user: 'root' }))).exitCode !== 0,
          hostUsr: (await run(lab.driver, sb.dir, sh('test -x /usr/bin/env && echo yes'))).stdout,
          dockerSocket: (await probe('/var/run/docker.sock')).stdout,
        };
      } finally {
        rmSync(tmpSecret, { force: true });
        rmSync(homeSecret, { force: true });
      }
    }),

  /** Host template with the shared directory trees: root installs into /usr land in the layer. */
  hostInstall: () =>
    withLab(async (lab) => {
      const hostDirsCache = join(lab.tmp, 'host-dirs');
      const [a, b, c] = await Promise.all(
        ['ha', 'hb', 'hc'].map((n) => lab.sandbox(n, { type: 'host' })),
      );
      for (const sb of [a!, b!]) await lab.driver.start(sb.dir, { hostDirsCache });
      await lab.driver.start(c!.dir);
      const tool = `/usr/bin/sbx-vm-${process.pid}`;
      const asRoot = (dir: string, script: string) =>
        run(lab.driver, dir, sh(script, { user: 'root' }));
      const install = await asRoot(a!.dir, `echo v1 > ${tool} && mkdir /etc/sbx-vm-${process.pid}`);
      const append = await asRoot(a!.dir, 'echo x >> /usr/bin/env');
      await lab.driver.stop(a!.dir);
      await lab.driver.start(a!.dir, { hostDirsCache });
      return {
        install: install.exitCode,
        append: append.exitCode,
        onHost: existsSync(tool) || existsSync(`/etc/sbx-vm-${process.pid}`),
        inLayer: existsSync(join(a!.dir, 'layer/usr/upper/bin', basename(tool))),
        afterRestart: (await run(lab.driver, a!.dir, sh(`cat ${tool}`))).stdout,
        inOther: (await run(lab.driver, b!.dir, sh(`cat ${tool}`))).exitCode,
        withoutCache: (await asRoot(c!.dir, `echo v1 > ${tool}`)).exitCode,
      };
    }),

  persistence: () =>
    withLab(async (lab) => {
      const a = await lab.sandbox('pa');
      const b = await lab.sandbox('pb');
      await lab.driver.start(a.dir);
      await lab.driver.start(b.dir);
      const install = await run(
        lab.driver,
        a.dir,
        sh(
          'printf "#!/bin/sh\\necho tool works\\n" > /usr/local/bin/tool && chmod 755 /usr/local/bin/tool && echo a > /root/secret-a',
          { user: 'root' },
        ),
      );
      await lab.driver.stop(a.dir);
      const stopped = (await lab.driver.inspect(a.dir)).status;
      await lab.driver.start(a.dir);
      return {
        install: install.exitCode,
        stopped,
        afterRestart: (await run(lab.driver, a.dir, { cmd: ['tool'] })).stdout,
        inOther: (
          await run(
            lab.driver,
            b.dir,
            sh('ls /usr/local/bin; cat /root/secret-a', { user: 'root' }),
          )
        ).exitCode,
        otherWorkspace: (
          await run(lab.driver, b.dir, sh(`test -e ${a.ws} && echo visible || echo hidden`))
        ).stdout,
        otherProcesses: (await run(lab.driver, b.dir, sh('ps -o comm | grep -c tool || true')))
          .stdout,
        otherLoopback: await (async () => {
          await lab.driver.exec(a.dir, { cmd: HTTPD, detach: true });
          const inA = await run(lab.driver, a.dir, sh(WAIT_FOR_HTTPD));
          const inB = await run(lab.driver, b.dir, sh(`wget -q -T 2 -O- ${PAGE}`));
          return { inA: inA.stdout, inB: inB.exitCode !== 0 };
        })(),
      };
    }),

  /** For a user without /etc/subuid range: one id, root inside; layer still removable. */
  single: () =>
    withLab(async (lab) => {
      const sb = await lab.sandbox('single');
      await lab.driver.start(sb.dir);
      const id = await run(lab.driver, sb.dir, sh('id -u; echo x > made; mkdir /root/kept'));
      await lab.driver.stop(sb.dir);
      await lab.driver.start(sb.dir);
      const kept = await run(lab.driver, sb.dir, sh('ls /root; cat made'));
      await lab.driver.remove(sb.dir);
      return { user: sb.user, id: id.stdout, kept: kept.stdout, removed: !existsSync(sb.dir) };
    }),

  /**
   * A sandbox's root plants symlinks where the next start writes (/etc/hosts, the trust
   * store) pointing at the workspace as the setup stage sees it: nothing may be followed.
   */
  symlinks: () =>
    withLab(async (lab) => {
      const sb = await lab.sandbox('links');
      writeFileSync(join(sb.ws, 'victim'), 'safe\n');
      await lab.driver.start(sb.dir, { caCertPem: PEM });
      const plant = await run(
        lab.driver,
        sb.dir,
        sh(
          'ln -sf /tmp/sbx/ws/0/victim /etc/hosts && ln -sf /tmp/sbx/ws/0/victim /etc/hostname && ' +
            'rm -rf /etc/ssl && ln -s /tmp/sbx/ws/0 /etc/ssl && mkdir -p /usr/local/share && ' +
            'rm -rf /usr/local/share/ca-certificates && ln -s /tmp/sbx/ws/0 /usr/local/share/ca-certificates',
          { user: 'root' },
        ),
      );
      await lab.driver.stop(sb.dir);
      await lab.driver.start(sb.dir, { caCertPem: PEM });
      const inside = await run(
        lab.driver,
        sb.dir,
        sh('grep -c host.docker.internal /etc/hosts; tail -n 3 /etc/ssl/certs/ca-certificates.crt'),
      );
      return {
        plant: plant.exitCode,
        victim: readFileSync(join(sb.ws, 'victim'), 'utf8'),
        workspace: readdirSync(sb.ws).sort(),
        inside: inside.stdout,
      };
    }),

  /** Host fds the controlling process inherited (here: fd 9) never reach a sandbox. */
  fds: () =>
    withLab(async (lab) => {
      const sb = await lab.sandbox('fds');
      await lab.driver.start(sb.dir);
      const listing = await run(lab.driver, sb.dir, { cmd: ['ls', '-l', '/proc/self/fd'] });
      const hostObjects = listing.stdout
        .split('\n')
        .map((line) => /(\d+) -> ((?:pipe|socket):.*)$/.exec(line))
        .filter((m) => m && Number(m[1]) > 2)
        .map((m) => m![2]);
      return { hostHasFd9: existsSync('/proc/self/fd/9'), hostObjects };
    }),

  /** Misuse answers with stable codes. */
  errors: () =>
    withLab(async (lab) => {
      const sb = await lab.sandbox('errs');
      const code = (p: Promise<unknown>) =>
        p.then(
          () => 'resolved',
          (e: { code?: string }) => e.code,
        );
      return {
        again: await code(
          lab.driver.create({ name: 'errs', dir: sb.dir, template: sb.template, workspaces: [] }),
        ),
        badName: await code(
          lab.driver.create({
            name: '../x',
            dir: join(lab.tmp, 'x'),
            template: sb.template,
            workspaces: [],
          }),
        ),
        stoppedExec: await code(lab.driver.exec(sb.dir, { cmd: ['true'] })),
        missing: await code(lab.driver.inspect(join(lab.tmp, 'nothing'))),
        emptyCmd: await (async () => {
          await lab.driver.start(sb.dir);
          return code(lab.driver.exec(sb.dir, { cmd: [] }));
        })(),
        unknownUser: await code(lab.driver.exec(sb.dir, { cmd: ['true'], user: 'nobody-here' })),
      };
    }),

  /** A start that cannot work fails with a clear code and leaves the sandbox stopped. */
  startFails: () =>
    withLab(async (lab) => {
      const sb = await lab.sandbox('fails');
      rmSync(sb.ws, { recursive: true });
      const error = await lab.driver.start(sb.dir).then(
        () => undefined,
        (e: { code?: string }) => e.code,
      );
      return { error, status: (await lab.driver.inspect(sb.dir)).status };
    }),

  /** An image without `sleep`: pid 1 itself is the init (it blocks, it does not reap). */
  noSleep: () =>
    withLab(async (lab) => {
      const rootfs = busyboxRootfs(join(lab.tmp, 'nosleep'));
      rmSync(join(rootfs, 'bin/sleep'));
      const sb = await lab.sandbox('nosleep', { type: 'image', rootfs });
      await lab.driver.start(sb.dir);
      const first = await run(
        lab.driver,
        sb.dir,
        sh('echo up; ps -o pid,comm | grep -c sleep || true'),
      );
      await lab.driver.stop(sb.dir);
      const stopped = (await lab.driver.inspect(sb.dir)).status;
      await lab.driver.start(sb.dir);
      const again = await run(lab.driver, sb.dir, { cmd: ['echo', 'again'] });
      return { first: first.stdout, stopped, again: again.stdout };
    }),

  /** The CA and /etc/hosts reach images and the host template, writable or not. */
  trust: () =>
    withLab(async (lab) => {
      const check = sh(
        'grep host.docker.internal /etc/hosts; tail -n 3 /etc/ssl/certs/ca-certificates.crt; tail -n 3 "$SSL_CERT_FILE"',
      );
      const result: Record<string, string> = {};
      const unshifted = busyboxRootfs(join(lab.tmp, 'unshifted'), { shift: false });
      const templates: Array<[string, TemplateSource]> = [
        ['host', { type: 'host' }],
        ['image', { type: 'image', rootfs: lab.rootfs }],
        ['unshifted', { type: 'image', rootfs: unshifted }],
      ];
      for (const [name, template] of templates) {
        const sb = await lab.sandbox(`trust-${name}`, template);
        await lab.driver.start(sb.dir, { caCertPem: PEM });
        const out = await run(lab.driver, sb.dir, check);
        result[name] = out.stdout + out.stderr;
      }
      return result;
    }),

  setuid: () =>
    withLab(async (lab) => {
      const sb = await lab.sandbox('suid', { type: 'host' });
      await lab.driver.start(sb.dir);
      const install = await run(
        lab.driver,
        sb.dir,
        sh('cp /usr/bin/id /var/suid-id && chmod 4755 /var/suid-id', { user: 'root' }),
      );
      const euid = await run(lab.driver, sb.dir, { cmd: ['/var/suid-id', '-u'] });
      return { install: install.exitCode, euid: euid.stdout };
    }),

  /** As root: the sandbox user acts as a chosen host user (e.g. the workspace's owner). */
  hostUser: (uid: number, gid: number) =>
    withLab(async (lab) => {
      const ws = join(lab.tmp, 'owned');
      mkdirSync(ws);
      chownSync(ws, uid, gid);
      const dir = join(lab.tmp, 'sandboxes', 'owned');
      const info = await lab.driver.create({
        name: 'owned',
        dir,
        template: { type: 'image', rootfs: lab.rootfs },
        workspaces: [{ path: ws }],
        hostUser: { uid, gid },
      });
      await lab.driver.start(dir);
      const write = await run(lab.driver, dir, sh('id -u; echo mine > made.txt'));
      const owner = statSync(join(ws, 'made.txt'));
      await lab.driver.remove(dir);
      return { hostUser: info.hostUser, write, owner: [owner.uid, owner.gid] };
    }),

  ...networkScenarios,
};

export type ScenarioName = Exclude<keyof typeof scenarios, 'hostUser'>;
