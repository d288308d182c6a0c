import { chmod, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Removes a tree, making read-only directories writable first when that is what stops rm. */
export async function removeTree(path: string): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true });
  } catch (err) {
    if (
      (err as NodeJS.ErrnoException).code !== 'EACCES' &&
      (err as NodeJS.ErrnoException).code !== 'EPERM'
    )
      throw err;
    await makeWritable(path);
    await rm(path, { recursive: true, force: true });
  }
}

async function makeWritable(dir: string): Promise<void> {
  await chmod(dir, 0o700).catch(() => {});
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) if (e.isDirectory()) await makeWritable(join(dir, e.name));
}
