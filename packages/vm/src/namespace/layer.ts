import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { chown, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { VmError } from '../errors.ts';
import type { IdPlan } from './idmap.ts';
import { sealStdio } from './procfs.ts';

/** Creates the persistent writable layer of each overlay (`root`, and `usr`, `etc`… for host). */
export async function ensureLayer(layerDir: string, parts: string[], ids: IdPlan): Promise<void> {
  await mkdir(layerDir, { recursive: true, mode: 0o700 });
  // As root, bwrap runs as the sandbox user's host ids and must open the layer; what is
  // in it belongs to the sandbox's root.
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? [ids.uidMap[0]!.outside, ids.gidMap[0]!.outside] : undefined;
  if (asRoot) await chown(layerDir, ids.hostUid, ids.hostGid);
  for (const part of parts) {
    for (const sub of ['', 'upper', 'work']) {
      const path = join(layerDir, part, sub);
      await mkdir(path, { recursive: true, mode: 0o755 });
      if (owner) await chown(path, owner[0]!, owner[1]!);
    }
  }
}

/**
 * Deletes a writable layer whose files belong to the sandbox's subordinate ids, which only
 * the sandbox's root (inside its user namespace) may delete.
 */
export async function deleteLayerAsSandboxRoot(
  bwrap: string,
  layerDir: string,
  ids: IdPlan,
  writeMaps: (pid: number, ids: IdPlan) => Promise<void>,
): Promise<void> {
  const fd = openSync(layerDir, 'r');
  const sealed = sealStdio(['ignore', 'ignore', 'pipe', 'pipe', 'pipe', fd]);
  let child: ChildProcess;
  try {
    child = spawn(
      bwrap,
      [
        ...['--unshare-user', '--userns-block-fd', '3', '--info-fd', '4', '--cap-add', 'ALL'],
        ...['--ro-bind', '/', '/', '--tmpfs', '/tmp', '--bind-fd', '5', '/tmp/layer', '--'],
        ...['setpriv', '--reuid=0', '--regid=0'],
        ...[ids.writer === 'single' ? '--keep-groups' : '--clear-groups', '--'],
        ...['find', '/tmp/layer', '-mindepth', '1', '-delete'],
      ],
      { stdio: sealed.stdio },
    );
  } finally {
    closeSync(fd);
    sealed.done();
  }
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  let info = '';
  (child.stdio[4] as NodeJS.ReadableStream).on('data', async (chunk: Buffer) => {
    info += chunk.toString();
    const match = /"child-pid":\s*(\d+)/.exec(info);
    if (!match) return;
    info = '';
    try {
      await writeMaps(Number(match[1]), ids);
      (child.stdio[3] as NodeJS.WritableStream).write('1');
    } catch {
      child.kill('SIGKILL');
    }
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) {
    throw new VmError(
      'SBX_VM_INVALID',
      `cannot delete ${layerDir} (exit ${code}): ${stderr.trim()}`,
    );
  }
}
