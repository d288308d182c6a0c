import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSbx, type SbxResult } from './run-sbx.ts';

/**
 * A private SANDBOXD_HOME and DOCKER_CONFIG for commands that only touch files (no daemon);
 * `sandbox(name)` makes a sandbox exist the way the CLI checks it: its directory.
 */
export async function configHome() {
  const root = await mkdtemp(join(tmpdir(), 'sbx-cli-config-'));
  const env = { SANDBOXD_HOME: join(root, 'sandboxd'), DOCKER_CONFIG: join(root, 'docker') };
  return {
    root,
    env,
    defaultPolicy: join(env.SANDBOXD_HOME, 'proxy-config.json'),
    policyOf: (name: string) =>
      join(env.DOCKER_CONFIG, 'sandboxes', 'vm', name, 'proxy-config.json'),
    async sandbox(name: string) {
      await mkdir(join(env.DOCKER_CONFIG, 'sandboxes', 'vm', name), { recursive: true });
    },
    sbx: (
      args: string[],
      options: { env?: NodeJS.ProcessEnv; bin?: string[]; cwd?: string } = {},
    ): Promise<SbxResult> => runSbx(args, { ...options, env: { ...env, ...options.env } }),
    async [Symbol.asyncDispose]() {
      await rm(root, { recursive: true, force: true });
    },
  };
}
