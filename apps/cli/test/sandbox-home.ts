import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSbx, type SbxResult } from './run-sbx.ts';

/**
 * A private SANDBOXD_HOME and DOCKER_CONFIG with a `project` workspace; `sbx` runs against
 * them. Disposing stops their daemon (and so every sandbox) and deletes everything.
 */
export async function sandboxHome() {
  const root = await mkdtemp(join(tmpdir(), 'sbx-cli-'));
  const project = join(root, 'project');
  await mkdir(project);
  const env = { SANDBOXD_HOME: join(root, 'sandboxd'), DOCKER_CONFIG: join(root, 'docker') };
  const sbx = (
    args: string[],
    options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {},
  ): Promise<SbxResult> => runSbx(args, { ...options, env: { ...env, ...options.env } });
  return {
    root,
    project,
    env,
    sbx,
    async [Symbol.asyncDispose]() {
      await sbx(['daemon', 'stop']);
      await rm(root, { recursive: true, force: true });
    },
  };
}
