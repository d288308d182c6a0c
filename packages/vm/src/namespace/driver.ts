import type { ChildProcess } from 'node:child_process';
import { realpathSync, statSync } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { VmError } from '../errors.ts';
import type {
  Driver,
  ExecOptions,
  SandboxInfo,
  SandboxProcess,
  SandboxSpec,
  StartOptions,
  Workspace,
} from '../types.ts';
import { type Bridge, openBridge } from './bridge.ts';
import { hostsFile } from './env.ts';
import { allowSetuid } from './exec.ts';
import { hostDirs } from './host-dirs.ts';
import { which } from './host-path.ts';
import { type HostLayout, readHostLayout } from './host-root.ts';
import { imageIdShift, planIds } from './idmap.ts';
import { execRunning } from './join.ts';
import { launch, writeMaps } from './launch.ts';
import { deleteLayerAsSandboxRoot, ensureLayer } from './layer.ts';
import { parsePasswd, readInsideRoot } from './passwd.ts';
import { clearState, writeJson, writeState } from './persist.ts';
import { preflight } from './preflight.ts';
import { isSameProcess, processStartTime } from './procfs.ts';
import { paths, readRecord, type SandboxRecord } from './record.ts';
import { type RunState, readLiveState } from './state.ts';
import { readSubordinateRange } from './subid.ts';

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

interface Live {
  child: ChildProcess;
  bridge: Bridge | undefined;
  exited: Promise<void>;
}

/**
 * The namespace driver: each sandbox is a bubblewrap user+mount+pid+net+ipc+uts+cgroup
 * namespace set with an overlay root; it lives as long as the process that started it.
 */
export function createNamespaceDriver(): Driver {
  const live = new Map<string, Live>();
  const starting = new Map<string, Promise<SandboxInfo>>();
  const asRoot = process.getuid?.() === 0;

  const bwrapPath = () => {
    const path = which('bwrap');
    if (!path)
      throw new VmError(
        'SBX_VM_PREFLIGHT',
        'bubblewrap is not installed: sudo apt-get install -y bubblewrap',
      );
    return path;
  };

  async function info(dir: string, record?: SandboxRecord): Promise<SandboxInfo> {
    const rec = record ?? (await readRecord(dir));
    const state = await readLiveState(dir);
    return {
      name: rec.name,
      dir,
      driver: 'namespace',
      status: state ? 'running' : 'stopped',
      template: rec.template,
      workspaces: rec.workspaces,
      user: rec.user,
      hostUser: { uid: rec.ids.hostUid, gid: rec.ids.hostGid },
      createdAt: rec.createdAt,
      ...(state ? { pid: state.initPid, startedAt: state.startedAt } : {}),
    };
  }

  async function stop(dir: string): Promise<void> {
    await readRecord(dir);
    const mine = live.get(dir);
    const state = await readLiveState(dir);
    if (state) {
      // Start times make sure a reused pid is never killed.
      const targets: Array<[number, number | undefined]> = [
        [state.stagePid, state.stageStart],
        [state.bwrapPid, state.bwrapStart],
      ];
      for (const [pid, start] of targets) {
        if (start === undefined || !isSameProcess(pid, start)) continue;
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
    }
    mine?.child.kill('SIGKILL');
    await mine?.exited;
    if (state) {
      for (let i = 0; i < 500 && isSameProcess(state.initPid, state.initStart); i++)
        await sleep(10);
    }
    await clearState(dir);
  }

  return {
    name: 'namespace',
    preflight,

    async create(spec: SandboxSpec): Promise<SandboxInfo> {
      if (!NAME.test(spec.name)) {
        throw new VmError(
          'SBX_VM_INVALID',
          `invalid sandbox name "${spec.name}": use letters, digits, "_", "." and "-" (max 63)`,
        );
      }
      if (!isAbsolute(spec.dir))
        throw new VmError('SBX_VM_INVALID', `sandbox dir must be absolute: ${spec.dir}`);
      const exists = await stat(paths(spec.dir).record).then(
        () => true,
        () => false,
      );
      if (exists)
        throw new VmError(
          'SBX_VM_EXISTS',
          `a sandbox already exists in ${spec.dir}: remove it first`,
        );
      const workspaces = spec.workspaces.map(checkWorkspace);
      const template =
        spec.template.type === 'image'
          ? { ...spec.template, rootfs: checkDir(spec.template.rootfs, 'image rootfs') }
          : spec.template;
      const user = resolveUser(template, spec.user);
      const me = userInfo();
      if (spec.hostUser && (me.uid !== 0 || spec.hostUser.uid === 0 || spec.hostUser.gid === 0)) {
        throw new VmError(
          'SBX_VM_INVALID',
          'hostUser needs sbx running as root and a non-root uid and gid',
        );
      }
      const ids = planIds({
        selfUid: me.uid,
        selfGid: me.gid,
        uid: user.uid,
        gid: user.gid,
        subuid: readSubordinateRange('/etc/subuid', me.username, me.uid),
        subgid: readSubordinateRange('/etc/subgid', me.username, me.uid),
        ...(spec.hostUser ? { hostUser: spec.hostUser } : {}),
      });
      const record: SandboxRecord = {
        version: 1,
        driver: 'namespace',
        name: spec.name,
        template,
        workspaces,
        user: ids.writer === 'single' ? { ...user, uid: 0, gid: 0 } : user,
        env: spec.env ?? {},
        ids,
        createdAt: new Date().toISOString(),
      };
      await mkdir(spec.dir, { recursive: true, mode: 0o700 });
      await ensureLayer(paths(spec.dir).layer, layerParts(record, hostLayoutFor(record)), ids);
      await writeJson(paths(spec.dir).record, record);
      return info(spec.dir, record);
    },

    start(dir: string, options: StartOptions = {}): Promise<SandboxInfo> {
      // One start per sandbox at a time: a second caller waits for the first.
      const pending = starting.get(dir);
      if (pending) return pending;
      const started = startNow(dir, options).finally(() => starting.delete(dir));
      starting.set(dir, started);
      return started;
    },

    exec(dir: string, options: ExecOptions): Promise<SandboxProcess> {
      return execRunning(dir, options, readLiveState);
    },

    stop,

    async remove(dir: string): Promise<void> {
      const record = await readRecord(dir);
      await stop(dir);
      // Overlay leaves mode-000 work dirs and files of subordinate ids behind: only the
      // sandbox's own root may delete them.
      if (!asRoot) {
        await deleteLayerAsSandboxRoot(bwrapPath(), paths(dir).layer, record.ids, writeMaps);
      }
      await rm(dir, { recursive: true, force: true });
    },

    inspect: (dir: string) => info(dir),
  };

  /** Starts a stopped sandbox (a running one is returned as is). */
  async function startNow(dir: string, options: StartOptions): Promise<SandboxInfo> {
    const record = await readRecord(dir);
    if (await readLiveState(dir)) return info(dir, record);
    const bwrap = bwrapPath();
    if (!asRoot && record.ids.hostUid !== process.getuid?.()) {
      throw new VmError(
        'SBX_VM_INVALID',
        `sandbox ${record.name} belongs to uid ${record.ids.hostUid}: start it as that user`,
      );
    }
    const p = paths(dir);
    await rm(p.stage, { recursive: true, force: true });
    await mkdir(p.stage, { recursive: true, mode: 0o755 });
    await writeFile(join(p.stage, 'hosts'), hostsFile(record.name), { mode: 0o644 });
    await writeFile(join(p.stage, 'hostname'), `${record.name}\n`, { mode: 0o644 });
    if (options.caCertPem)
      await writeFile(join(p.stage, 'ca.pem'), options.caCertPem, { mode: 0o644 });
    const host = hostLayoutFor(record);
    await ensureLayer(p.layer, layerParts(record, host), record.ids);
    const dirs =
      host && options.hostDirsCache
        ? await hostDirs(options.hostDirsCache, record.ids, host)
        : undefined;
    const launched = await launch({
      record,
      layerDir: p.layer,
      stageDir: p.stage,
      host,
      bwrap,
      hostDirs: dirs,
    });
    const exited = new Promise<void>((resolve) => launched.child.once('exit', () => resolve()));
    let bridge: Bridge | undefined;
    try {
      const [door] = await Promise.all([
        options.proxySocket ? openBridge(launched, options.proxySocket, asRoot) : undefined,
        allowSetuid(record, launched),
      ]);
      bridge = door;
    } catch (error) {
      launched.child.kill('SIGKILL');
      throw error;
    }
    live.set(dir, { child: launched.child, bridge, exited });
    exited.then(() => {
      bridge?.close();
      if (live.get(dir)?.child === launched.child) live.delete(dir);
    });
    const state: RunState = {
      bwrapPid: launched.child.pid ?? -1,
      bwrapStart: processStartTime(launched.child.pid ?? -1),
      stagePid: launched.stagePid,
      stageStart: processStartTime(launched.stagePid),
      initPid: launched.initPid,
      initStart: launched.initStart,
      ownerPid: process.pid,
      ownerStart: processStartTime(process.pid),
      proxy: Boolean(options.proxySocket),
      ca: Boolean(options.caCertPem),
      startedAt: new Date().toISOString(),
    };
    await writeState(dir, state);
    return info(dir, record);
  }
}

function checkDir(path: string, what: string): string {
  if (!isAbsolute(path))
    throw new VmError('SBX_VM_INVALID', `${what} must be an absolute path: ${path}`);
  let real: string;
  try {
    real = realpathSync(path);
    if (!statSync(real).isDirectory()) throw new Error('not a directory');
  } catch (cause) {
    throw new VmError('SBX_VM_INVALID', `${what} ${path} is not a directory`, { cause });
  }
  return real;
}

function checkWorkspace(ws: Workspace): Workspace {
  const path = checkDir(ws.path, 'workspace');
  if (path === '/' || path.startsWith('/proc') || path.startsWith('/dev')) {
    throw new VmError(
      'SBX_VM_INVALID',
      `workspace ${path} cannot be shared: pick a project directory`,
    );
  }
  return { path, readOnly: Boolean(ws.readOnly) };
}

function resolveUser(
  template: SandboxSpec['template'],
  wanted: string | undefined,
): SandboxRecord['user'] {
  const root = { name: 'root', uid: 0, gid: 0, home: '/root' };
  if (template.type === 'host') {
    const me = userInfo();
    if (me.uid === 0 || wanted === 'root') return root;
    return { name: me.username, uid: me.uid, gid: me.gid, home: `/home/${me.username}` };
  }
  const entries = parsePasswd(readInsideRoot(template.rootfs, 'etc/passwd') ?? '');
  const name = wanted ?? (entries.some((e) => e.name === 'agent') ? 'agent' : 'root');
  if (name === 'root') return root;
  const entry = entries.find((e) => e.name === name);
  if (!entry)
    throw new VmError(
      'SBX_VM_INVALID',
      `user "${name}" is not in the image's /etc/passwd: pick one that is`,
    );
  if (entry.uid >= 65536 || entry.gid >= 65536) {
    throw new VmError(
      'SBX_VM_INVALID',
      `user "${name}" has uid/gid above 65535, which sandboxes do not map`,
    );
  }
  return { name: entry.name, uid: entry.uid, gid: entry.gid, home: entry.home };
}

function hostLayoutFor(record: SandboxRecord): HostLayout | undefined {
  return record.template.type === 'host' ? readHostLayout() : undefined;
}

function layerParts(record: SandboxRecord, host: HostLayout | undefined): string[] {
  return record.template.type === 'host' && host ? ['root', ...host.parts] : ['root'];
}

/** See `imageIdShift`: the uid/gid shift images need for this process's sandboxes. */
export function imageOwnerShift(): { uid: number; gid: number } | undefined {
  const me = userInfo();
  return imageIdShift(
    me.uid,
    readSubordinateRange('/etc/subuid', me.username, me.uid),
    readSubordinateRange('/etc/subgid', me.username, me.uid),
  );
}
