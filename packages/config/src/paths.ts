import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from './errors.ts';

function fromEnv(name: string, fallback: () => string): string {
  const value = process.env[name];
  return value ? resolve(value) : fallback();
}

/** sbx's own state: `$SANDBOXD_HOME`, else `~/.sandboxd`. */
export function sandboxdHome(): string {
  return fromEnv('SANDBOXD_HOME', () => join(homedir(), '.sandboxd'));
}

/** Docker's configuration directory as Docker resolves it: `$DOCKER_CONFIG`, else `~/.docker`. */
export function dockerConfigDir(): string {
  return fromEnv('DOCKER_CONFIG', () => join(homedir(), '.docker'));
}

/** Where Docker CLI plugins live: `<docker config>/cli-plugins`. */
export function cliPluginsDir(): string {
  return join(dockerConfigDir(), 'cli-plugins');
}

/** The parent of every sandbox's directory: `<docker config>/sandboxes/vm`. */
export function sandboxesDir(): string {
  return join(dockerConfigDir(), 'sandboxes', 'vm');
}

const SANDBOX_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

/** Throws `SBX_CONFIG_BAD_NAME` unless `name` is a safe sandbox name (Docker's container rule). */
export function assertSandboxName(name: string): void {
  if (!SANDBOX_NAME.test(name)) {
    throw new ConfigError(
      'SBX_CONFIG_BAD_NAME',
      `invalid sandbox name ${JSON.stringify(name)}: use 1-128 letters, digits, "_", "." or "-", starting with a letter or digit`,
    );
  }
}

/** One sandbox's directory, `<docker config>/sandboxes/vm/<name>`; the name is checked first. */
export function sandboxDir(name: string): string {
  assertSandboxName(name);
  return join(sandboxesDir(), name);
}

/** The policy new sandboxes start from: `<sandboxd home>/proxy-config.json`. */
export function defaultProxyConfigPath(): string {
  return join(sandboxdHome(), 'proxy-config.json');
}

/** One sandbox's policy: `<docker config>/sandboxes/vm/<name>/proxy-config.json`. */
export function sandboxProxyConfigPath(name: string): string {
  return join(sandboxDir(name), 'proxy-config.json');
}

/** Template images, shared by all sandboxes: `<docker config>/sandboxes/image-cache`, as Docker Sandboxes. */
export function imageCacheDir(): string {
  return join(dockerConfigDir(), 'sandboxes', 'image-cache');
}

/** The daemon's API socket: `<sandboxd home>/sandboxd.sock`. */
export function sandboxdSocketPath(): string {
  return join(sandboxdHome(), 'sandboxd.sock');
}
