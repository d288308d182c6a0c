import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * File locations of sandboxd. `SANDBOXD_HOME` moves the daemon's own directory and
 * `DOCKER_CONFIG` the per-sandbox directories, as Docker itself honours it.
 */
export interface DaemonPaths {
  home: string;
  socket: string;
  log: string;
  pidFile: string;
  /** The host template's directory trees, shared by this user's sandboxes (see @sbx/vm). */
  hostDirs: string;
  dockerConfig: string;
  sandboxes: string;
}

export function daemonPaths(env: NodeJS.ProcessEnv = process.env): DaemonPaths {
  const home = env.SANDBOXD_HOME ? resolve(env.SANDBOXD_HOME) : join(homedir(), '.sandboxd');
  const dockerConfig = env.DOCKER_CONFIG ? resolve(env.DOCKER_CONFIG) : join(homedir(), '.docker');
  return {
    home,
    socket: join(home, 'sandboxd.sock'),
    log: join(home, 'sandboxd.log'),
    pidFile: join(home, 'sandboxd.pid'),
    hostDirs: join(home, 'host-dirs'),
    dockerConfig,
    sandboxes: join(dockerConfig, 'sandboxes', 'vm'),
  };
}

/** Files of one sandbox under its directory. */
export function sandboxFiles(paths: DaemonPaths, name: string) {
  const dir = join(paths.sandboxes, name);
  return {
    dir,
    metadata: join(dir, 'metadata.json'),
    proxyConfig: join(dir, 'proxy-config.json'),
    proxySocket: join(dir, 'proxy.sock'),
    requestLog: join(dir, 'logs', 'requests.jsonl'),
  };
}
