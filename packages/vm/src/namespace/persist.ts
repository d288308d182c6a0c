import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { paths } from './record.ts';
import type { RunState } from './state.ts';

/** Writes a JSON file atomically (temp file + rename) so a crash never leaves half a file. */
export async function writeJson(file: string, value: unknown): Promise<void> {
  await mkdir(join(file, '..'), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}

export function writeState(dir: string, state: RunState): Promise<void> {
  return writeJson(paths(dir).state, state);
}

export function clearState(dir: string): Promise<void> {
  return rm(paths(dir).state, { force: true });
}
