import { SandboxdError } from './errors.ts';

export type SandboxStatus = 'running' | 'stopped';

export interface Workspace {
  path: string;
  readOnly: boolean;
}

/** What `metadata.json` in a sandbox's directory holds; never a secret. */
export interface SandboxMetadata {
  version: 1;
  name: string;
  agent: string;
  /** `local`: the image comes from the local Docker Engine (`--load-local-template`). */
  template: { ref: string; digest: string | null; local?: boolean };
  workspaces: Workspace[];
  created: string;
  status: SandboxStatus;
}

function isWorkspace(value: unknown): value is Workspace {
  const w = value as Workspace;
  return typeof w?.path === 'string' && typeof w.readOnly === 'boolean';
}

/** Checks the shape of a parsed metadata file; hand edits must not crash the daemon. */
export function parseMetadata(text: string, file: string): SandboxMetadata {
  let value: SandboxMetadata;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SandboxdError(
      'SBX_SANDBOXD_CORRUPT',
      `${file} is not valid JSON (${(error as Error).message}): fix it or remove the sandbox with 'sbx rm'`,
      { cause: error },
    );
  }
  const ok =
    value?.version === 1 &&
    typeof value.name === 'string' &&
    typeof value.agent === 'string' &&
    typeof value.template?.ref === 'string' &&
    (value.template.digest === null || typeof value.template.digest === 'string') &&
    (value.template.local === undefined || typeof value.template.local === 'boolean') &&
    Array.isArray(value.workspaces) &&
    value.workspaces.every(isWorkspace) &&
    typeof value.created === 'string' &&
    (value.status === 'running' || value.status === 'stopped');
  if (!ok) {
    throw new SandboxdError(
      'SBX_SANDBOXD_CORRUPT',
      `${file} is not a sandbox metadata file of version 1: fix it or remove the sandbox with 'sbx rm'`,
    );
  }
  return value;
}
