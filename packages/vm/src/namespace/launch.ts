import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { VmError } from '../errors.ts';
import type { HostDirs } from './host-dirs.ts';
import { HOST_PATH } from './host-path.ts';
import { type HostLayout, readHostLayout } from './host-root.ts';
import { type IdPlan, mapArgs, mapText } from './idmap.ts';
import { childrenOf, mounts, processStartTime, sealStdio } from './procfs.ts';
import type { SandboxRecord } from './record.ts';
import { SETUP_SCRIPT } from './setup-script.ts';

const run = promisify(execFile);

/** The fd numbers the outer bwrap sees (Node places each stdio entry at its index). */
const FD = { usernsBlock: 3, info: 4, init: 5, sources: 6 };

/**
 * As root, bwrap runs as the sandbox user's unprivileged host ids, which may not traverse
 * the caller's directories (`/root/...`): a private mount namespace shows each source at
 * /run/<i> first.
 */
const ROOT_PREP = `set -e
mount -t tmpfs -o mode=755 sbx-src /run
i=0
while [ "$1" != -- ]; do mkdir "/run/$i"; mount --rbind "$1" "/run/$i"; i=$((i + 1)); shift; done
shift
exec "$@"`;

export interface LaunchInput {
  record: SandboxRecord;
  layerDir: string;
  stageDir: string;
  host: HostLayout | undefined;
  bwrap: string;
  /** Host template: the shared directory-only trees (see StartOptions.hostDirsCache). */
  hostDirs?: HostDirs | undefined;
}

export interface Launched {
  child: ChildProcess;
  /** Host pid of the sandbox's pid 1 (outer bwrap's child). */
  stagePid: number;
  /** Host pid of the blocked inner bwrap child every exec joins. */
  initPid: number;
  initStart: number;
}

interface Source {
  path: string;
  target: string;
  readOnly: boolean;
}

/** Host directories the setup stage sees under /tmp/sbx. */
function sources({ record, layerDir, stageDir, hostDirs }: LaunchInput): Source[] {
  const list: Source[] = [{ path: layerDir, target: '/tmp/sbx/layer', readOnly: false }];
  if (hostDirs) list.push({ path: hostDirs.dir, target: '/tmp/sbx/dirs', readOnly: false });
  if (record.template.type === 'image') {
    list.push({ path: record.template.rootfs, target: '/tmp/sbx/lower', readOnly: true });
  }
  list.push({ path: stageDir, target: '/tmp/sbx/stage', readOnly: true });
  record.workspaces.forEach((ws, i) => {
    list.push({ path: ws.path, target: `/tmp/sbx/ws/${i}`, readOnly: Boolean(ws.readOnly) });
  });
  return list;
}

/** Starts the two-stage bwrap of a sandbox and resolves once its root is in place. */
export async function launch(input: LaunchInput): Promise<Launched> {
  const { record } = input;
  const asRoot = process.getuid?.() === 0;
  const fds: number[] = [];
  const stdio: Array<'ignore' | 'pipe' | number> = [
    'ignore',
    'ignore',
    'pipe',
    'pipe',
    'pipe',
    'pipe',
  ];
  const binds: string[] = [];
  const srcs = sources(input);
  srcs.forEach((src, i) => {
    if (asRoot) {
      binds.push(src.readOnly ? '--ro-bind' : '--bind', `/run/${i}`, src.target);
    } else {
      const fd = openOrExplain(src.path, fds);
      fds.push(fd);
      stdio[FD.sources + i] = fd;
      binds.push(src.readOnly ? '--ro-bind-fd' : '--bind-fd', `${FD.sources + i}`, src.target);
    }
  });
  const bwrapArgs = [
    ...outerArgs(input),
    ...binds,
    '--',
    ...setprivArgs(record.ids),
    '/bin/sh',
    '-c',
  ];
  bwrapArgs.push(SETUP_SCRIPT, 'sbx-setup', ...innerArgs(input));
  const [command, args] = asRoot
    ? [
        'unshare',
        [
          ...['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', ROOT_PREP, 'sbx-prep'],
          ...srcs.map((src) => src.path),
          ...['--', 'setpriv', `--reuid=${record.ids.hostUid}`, `--regid=${record.ids.hostGid}`],
          ...['--clear-groups', '--', input.bwrap, ...bwrapArgs],
        ],
      ]
    : [input.bwrap, bwrapArgs];
  const sealed = sealStdio(stdio);
  let child: ChildProcess;
  try {
    child = spawn(command, args, { stdio: sealed.stdio, env: { PATH: HOST_PATH } });
  } finally {
    for (const fd of fds) closeSync(fd);
    sealed.done();
  }
  const stderr = collect(child);
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (cause) =>
      reject(new VmError('SBX_VM_START_FAILED', `cannot run ${input.bwrap}: ${cause.message}`)),
    );
    child.once('exit', async (code, signal) => {
      await sleep(5);
      reject(
        new VmError(
          'SBX_VM_START_FAILED',
          `sandbox ${record.name} failed to start (bwrap ${signal ?? `exit ${code}`}): ${stderr().trim() || 'no output'}`,
        ),
      );
    });
  });
  exited.catch(() => {});
  const gaveUp = { value: false };
  try {
    const stagePid = await Promise.race([readChildPid(child), exited]);
    await Promise.race([writeMaps(stagePid, record.ids), exited]);
    (child.stdio[FD.usernsBlock] as NodeJS.WritableStream).write('1');
    const initPid = await Promise.race([waitForInit(stagePid, gaveUp), exited]);
    const initStart = processStartTime(initPid);
    if (initStart === undefined) throw new VmError('SBX_VM_START_FAILED', 'sandbox init vanished');
    child.removeAllListeners('exit');
    return { child, stagePid, initPid, initStart };
  } catch (error) {
    gaveUp.value = true;
    child.kill('SIGKILL');
    throw error;
  }
}

function openOrExplain(path: string, opened: number[]): number {
  try {
    return openSync(path, 'r');
  } catch (cause) {
    for (const fd of opened) closeSync(fd);
    throw new VmError('SBX_VM_START_FAILED', `cannot open ${path}: it must exist and be readable`, {
      cause,
    });
  }
}

function outerArgs({ record, host, hostDirs }: LaunchInput): string[] {
  const args = ['--unshare-user', '--userns-block-fd', `${FD.usernsBlock}`];
  args.push('--info-fd', `${FD.info}`, '--unshare-pid', '--unshare-net', '--unshare-ipc');
  args.push('--unshare-uts', '--unshare-cgroup', '--hostname', record.name);
  args.push('--die-with-parent', '--new-session', '--cap-add', 'ALL', '--clearenv');
  // The setup stage runs host tools, so it always sees the host's OS directories.
  const layout = host ?? readHostLayout();
  for (const part of layout.parts) args.push('--ro-bind', `/${part}`, `/${part}`);
  for (const [name, target] of layout.links) args.push('--symlink', target, `/${name}`);
  if (!layout.parts.includes('etc')) args.push('--ro-bind', '/etc', '/etc');
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');
  const env: Record<string, string> = {
    PATH: HOST_PATH,
    SBX_TEMPLATE: record.template.type,
    SBX_PARTS: host ? host.parts.join(' ') : '',
    SBX_LINKS: host ? host.links.map(([n, t]) => `${n}=${t}`).join(' ') : '',
    SBX_DIRS: hostDirs ? hostDirs.generations.join(' ') : '',
    SBX_HOME: record.template.type === 'host' ? record.user.home : '',
    SBX_UID: String(record.user.uid),
    SBX_GID: String(record.user.gid),
    SBX_INIT_FD: String(FD.init),
  };
  for (const [k, v] of Object.entries(env)) args.push('--setenv', k, v);
  return args;
}

/** Arguments of the inner bwrap: pivots into the overlay root and blocks as the sandbox's init. */
function innerArgs({ record }: LaunchInput): string[] {
  const args = ['--bind', '/tmp/sbx/root', '/', '--proc', '/proc', '--dev', '/dev'];
  args.push('--unshare-pid', '--die-with-parent');
  args.push('--perms', '1777', '--tmpfs', '/tmp', '--tmpfs', '/run');
  if (record.template.type === 'host') args.push('--perms', '1777', '--tmpfs', '/var/tmp');
  record.workspaces.forEach((ws, i) => {
    // bwrap would create missing parents 0700, hiding the workspace from non-root users.
    for (const parent of ancestors(ws.path)) args.push('--perms', '0755', '--dir', parent);
    args.push(ws.readOnly ? '--ro-bind' : '--bind', `/tmp/sbx/ws/${i}`, ws.path);
  });
  // The setup script appends its read-only binds and `-- /.sbx-init-released`.
  args.push('--chdir', '/');
  return args;
}

function ancestors(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  return parts.slice(0, -1).map((_, i) => `/${parts.slice(0, i + 1).join('/')}`);
}

function setprivArgs(ids: IdPlan): string[] {
  const groups = ids.writer === 'single' ? '--keep-groups' : '--clear-groups';
  return ['setpriv', '--reuid=0', '--regid=0', groups, '--'];
}

function collect(child: ChildProcess): () => string {
  let text = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (text.length < 8192) text += chunk.toString();
  });
  return () => text;
}

function readChildPid(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = '';
    const info = child.stdio[FD.info] as NodeJS.ReadableStream;
    info.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /"child-pid":\s*(\d+)/.exec(text);
      if (match) resolve(Number(match[1]));
    });
    info.on('end', () => reject(new VmError('SBX_VM_START_FAILED', 'bwrap reported no pid')));
  });
}

export async function writeMaps(pid: number, ids: IdPlan): Promise<void> {
  if (ids.writer === 'newidmap') {
    await Promise.all([
      run('newuidmap', [String(pid), ...mapArgs(ids.uidMap)], { env: { PATH: HOST_PATH } }),
      run('newgidmap', [String(pid), ...mapArgs(ids.gidMap)], { env: { PATH: HOST_PATH } }),
    ]);
    return;
  }
  if (ids.writer === 'single') await writeFile(`/proc/${pid}/setgroups`, 'deny');
  await writeFile(`/proc/${pid}/uid_map`, mapText(ids.uidMap));
  await writeFile(`/proc/${pid}/gid_map`, mapText(ids.gidMap));
}

/** The init is ready once it is the inner bwrap's child and its root no longer shows setup mounts. */
async function waitForInit(stagePid: number, gaveUp: { value: boolean }): Promise<number> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !gaveUp.value) {
    const setup = childrenOf(stagePid)[0];
    const init = setup && comm(setup) === 'bwrap' ? childrenOf(setup)[0] : undefined;
    if (init && comm(init) === 'bwrap') {
      const seen = mounts(init);
      if (seen && isFinalRoot(seen)) return init;
    }
    await sleep(2);
  }
  throw new VmError('SBX_VM_START_FAILED', 'sandbox init did not come up within 30 s');
}

/** The setup stage's `/` is bwrap's tmpfs; the sandbox's is the overlay, with bwrap's scaffolding gone. */
function isFinalRoot(seen: Array<[string, string]>): boolean {
  const root = seen.find(([point]) => point === '/');
  return root?.[1] === 'overlay' && !seen.some(([p]) => p === '/oldroot' || p === '/newroot');
}

function comm(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}
