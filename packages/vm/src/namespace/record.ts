import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VmError } from '../errors.ts';
import type { TemplateSource, Workspace } from '../types.ts';
import type { IdPlan } from './idmap.ts';

/** What `create` decided, persisted as `<dir>/driver.json`. */
export interface SandboxRecord {
  version: 1;
  driver: 'namespace';
  name: string;
  template: TemplateSource;
  workspaces: Workspace[];
  user: { name: string; uid: number; gid: number; home: string };
  env: Record<string, string>;
  ids: IdPlan;
  createdAt: string;
}

export const paths = (dir: string) => ({
  record: join(dir, 'driver.json'),
  layer: join(dir, 'layer'),
  run: join(dir, 'run'),
  state: join(dir, 'run', 'state.json'),
  stage: join(dir, 'run', 'stage'),
});

/**
 * Reads the sandbox record; a missing one means "no such sandbox". Read synchronously (a
 * small file): `sbx exec` then joins a sandbox without starting libuv's thread pool.
 */
export async function readRecord(dir: string): Promise<SandboxRecord> {
  let text: string;
  try {
    text = readFileSync(paths(dir).record, 'utf8');
  } catch (cause) {
    throw new VmError('SBX_VM_NOT_FOUND', `no sandbox in ${dir}: create it first`, { cause });
  }
  const record = JSON.parse(text) as SandboxRecord;
  if (record.version !== 1 || record.driver !== 'namespace') {
    throw new VmError(
      'SBX_VM_INVALID',
      `${paths(dir).record} was not written by the namespace driver`,
    );
  }
  return record;
}
