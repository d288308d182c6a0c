import { basename } from 'node:path';
import { SandboxdError } from './errors.ts';

const VALID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

/** Throws unless `name` can name a sandbox: a directory, a log field and its hostname (63 at most). */
export function assertSandboxName(name: string): void {
  if (!VALID.test(name) || name.includes('..')) {
    throw new SandboxdError(
      'SBX_SANDBOXD_INVALID',
      `invalid sandbox name "${name}": use 1-63 letters, digits, "_", "." or "-", starting with a letter or digit`,
    );
  }
}

/** `<agent>-<basename of workspace>`, reduced to characters a sandbox name allows. */
export function defaultSandboxName(agent: string, workspace: string): string {
  const dir = basename(workspace)
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^[-_.]+|[-_.]+$/g, '');
  const name = dir ? `${agent}-${dir}` : agent;
  return name.slice(0, 56).replace(/[-_.]+$/, '');
}

/** The first of `base`, `base-2`, `base-3`… that `taken` does not hold. */
export function uniqueName(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base}-${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}
