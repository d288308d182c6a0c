import { rm } from 'node:fs/promises';
import { SandboxdError } from './errors.ts';
import type { SandboxRuntime } from './runtime.ts';

/** The runtime on @sbx/vm's namespace driver and @sbx/proxy. */
export async function createNamespaceRuntime(): Promise<SandboxRuntime> {
  return {
    async start() {
      throw new SandboxdError(
        'SBX_SANDBOXD_START_FAILED',
        'no sandbox driver is available in this build of sandboxd',
      );
    },
    async remove(_name, dir) {
      await rm(dir, { recursive: true, force: true });
    },
  };
}
