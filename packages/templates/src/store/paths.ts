import { homedir } from 'node:os';
import { join } from 'node:path';

/** `$DOCKER_CONFIG/sandboxes/image-cache`, or `~/.docker/sandboxes/image-cache`: Docker Sandboxes' location. */
export function defaultStoreRoot(env: NodeJS.ProcessEnv = process.env): string {
  const dockerConfig = env.DOCKER_CONFIG || join(homedir(), '.docker');
  return join(dockerConfig, 'sandboxes', 'image-cache');
}

/** `$DOCKER_CONFIG/config.json`, where `docker login` keeps registry credentials. */
export function dockerConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG || join(homedir(), '.docker'), 'config.json');
}
