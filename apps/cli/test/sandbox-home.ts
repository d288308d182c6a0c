import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asUser } from './ordinary-user.ts';
import { runSbx, SBX_BIN, type SbxResult } from './run-sbx.ts';

/**
 * A private SANDBOXD_HOME and DOCKER_CONFIG with a `project` workspace; `sbx` runs against
 * them. Disposing stops their daemon (and so every sandbox) and deletes everything.
 */
export async function sandboxHome(user?: { uid: number; gid: number }) {
  const root = await mkdtemp(join(tmpdir(), 'sbx-cli-'));
  const project = join(root, 'project');
  await mkdir(project);
  const env: Record<string, string> = {
    SANDBOXD_HOME: join(root, 'sandboxd'),
    DOCKER_CONFIG: join(root, 'docker'),
  };
  const bin = user ? [...asUser(user), process.execPath, SBX_BIN] : undefined;
  if (user) {
    await chown(root, user.uid, user.gid);
    await chown(project, user.uid, user.gid);
    env.HOME = root;
  }
  const sbx = (
    args: string[],
    options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {},
  ): Promise<SbxResult> => runSbx(args, { ...options, bin, env: { ...env, ...options.env } });
  return {
    user,
    root,
    project,
    env,
    sbx,
    async [Symbol.asyncDispose]() {
      // The host template's shared trees belong to the sandboxes' root: sbx deletes them.
      if (existsSync(join(env.SANDBOXD_HOME!, 'host-dirs'))) await sbx(['reset', '-f']);
      await sbx(['daemon', 'stop']);
      await rm(root, { recursive: true, force: true });
    },
  };
}
