import { chmod, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Deletes a sandbox directory. Files a sandbox made read-only (a package's 0555 directory)
 * would stop a plain recursive delete, so permissions are opened up and it is tried again.
 */
export async function removeSandboxDir(dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EACCES') throw error;
    await openUp(dir);
    await rm(dir, { recursive: true, force: true });
  }
}

async function openUp(dir: string): Promise<void> {
  await chmod(dir, 0o700).catch(() => {});
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.isDirectory()) await openUp(join(dir, entry.name));
  }
}
