import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ConfigError } from './errors.ts';
import { isProcessAlive } from './process-alive.ts';

export interface WriteFileAtomicOptions {
  /** File mode, 0o600 unless given. */
  mode?: number;
  /** Mode of directories created on the way, 0o700 unless given. */
  dirMode?: number;
}

/** A unique sibling of `path` that {@link removeDeadTemps} recognises once its writer is dead. */
export function tempPath(path: string): string {
  return join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
}

const TEMP = /^\.(.+)\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/**
 * Replaces `path` with `data` so that a reader, or a crash at any moment, sees the old file or
 * the new one and never a mix: temp file in the same directory, fsync, rename, fsync directory.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: WriteFileAtomicOptions = {},
): Promise<void> {
  const dir = dirname(path);
  const mode = options.mode ?? 0o600;
  const temp = tempPath(path);
  try {
    await mkdir(dir, { recursive: true, mode: options.dirMode ?? 0o700 });
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.chmod(mode);
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    await syncDir(dir);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw new ConfigError(
      'SBX_CONFIG_IO',
      `cannot write ${path}: ${(error as Error).message}; check the directory's permissions and free space`,
      { file: path, cause: error },
    );
  }
  await removeDeadTemps(dir, basename(path));
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems cannot fsync a directory; the rename itself is still atomic there.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw error;
  } finally {
    await handle.close();
  }
}

/** Temp files (`.<base>.<pid>.<hex>.tmp`) of writers killed mid-write would pile up; drop those of dead pids. */
export async function removeDeadTemps(dir: string, base: string): Promise<void> {
  try {
    for (const name of await readdir(dir)) {
      const match = TEMP.exec(name);
      if (match && match[1] === base && !isProcessAlive(Number(match[2]))) {
        await unlink(join(dir, name)).catch(() => {});
      }
    }
  } catch {
    // Best effort: a leftover temp file is harmless.
  }
}
