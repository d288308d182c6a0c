import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopDaemon } from '../src/launch.ts';
import { type DaemonPaths, daemonPaths } from '../src/paths.ts';

/** A private SANDBOXD_HOME and DOCKER_CONFIG; disposing stops their daemon and deletes both. */
export async function tempHome(): Promise<
  { root: string; paths: DaemonPaths; env: Record<string, string> } & AsyncDisposable
> {
  const root = await mkdtemp(join(tmpdir(), 'sbxd-'));
  const env = { SANDBOXD_HOME: join(root, 'sandboxd'), DOCKER_CONFIG: join(root, 'docker') };
  const paths = daemonPaths(env);
  return {
    root,
    paths,
    env,
    async [Symbol.asyncDispose]() {
      await stopDaemon(paths).catch(() => {});
      await rm(root, { recursive: true, force: true });
    },
  };
}
