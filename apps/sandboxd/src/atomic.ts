import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

let written = 0;

/** Writes a file so readers see the old or the new content, never a mix (temp, fsync, rename). */
export async function writeFileAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  // Unique per process and write ('wx' refuses a leftover); not node:crypto, which the
  // metadata readers of `sbx exec` would otherwise load for nothing.
  const temp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.${++written}.tmp`);
  const file = await open(temp, 'wx', mode);
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
