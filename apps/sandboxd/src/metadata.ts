import { mkdir, readdir, readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic.ts';
import { parseMetadata, type SandboxMetadata } from './metadata-schema.ts';
import { type DaemonPaths, sandboxFiles } from './paths.ts';

export type { SandboxMetadata, SandboxStatus, Workspace } from './metadata-schema.ts';

/** Reads one sandbox's metadata; `undefined` when the sandbox does not exist. */
export async function readMetadata(
  paths: DaemonPaths,
  name: string,
): Promise<SandboxMetadata | undefined> {
  const file = sandboxFiles(paths, name).metadata;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseMetadata(text, file);
}

/** Writes one sandbox's metadata atomically (0600, directory 0700). */
export async function writeMetadata(paths: DaemonPaths, meta: SandboxMetadata): Promise<void> {
  const files = sandboxFiles(paths, meta.name);
  await mkdir(files.dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(files.metadata, `${JSON.stringify(meta, null, 2)}\n`);
}

/** Names of every directory under the sandboxes root (sandboxes, possibly without metadata). */
export async function listSandboxDirs(paths: DaemonPaths): Promise<string[]> {
  try {
    const entries = await readdir(paths.sandboxes, { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
