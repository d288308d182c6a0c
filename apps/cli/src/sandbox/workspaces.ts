import { resolve } from 'node:path';
import type { Workspace } from '@sbx/sandboxd';

/** `PATH` or `PATH:ro` (Docker's extra workspace syntax) relative to the current directory. */
export function parseWorkspace(spec: string, cwd = process.cwd()): Workspace {
  const readOnly = spec.endsWith(':ro');
  const path = readOnly ? spec.slice(0, -3) : spec.replace(/:rw$/, '');
  return { path: resolve(cwd, path), readOnly };
}
