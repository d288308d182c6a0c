import { homedir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cliPluginsDir,
  defaultProxyConfigPath,
  dockerConfigDir,
  imageCacheDir,
  sandboxDir,
  sandboxdHome,
  sandboxdSocketPath,
  sandboxesDir,
  sandboxProxyConfigPath,
} from './paths.ts';

const saved = {
  SANDBOXD_HOME: process.env.SANDBOXD_HOME,
  DOCKER_CONFIG: process.env.DOCKER_CONFIG,
};

afterEach(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

function all() {
  return {
    sandboxdHome: sandboxdHome(),
    dockerConfigDir: dockerConfigDir(),
    cliPluginsDir: cliPluginsDir(),
    sandboxesDir: sandboxesDir(),
    sandboxDir: sandboxDir('claude-project'),
    defaultProxyConfigPath: defaultProxyConfigPath(),
    sandboxProxyConfigPath: sandboxProxyConfigPath('claude-project'),
    imageCacheDir: imageCacheDir(),
    sandboxdSocketPath: sandboxdSocketPath(),
  };
}

describe('paths', () => {
  it('live under ~/.sandboxd and ~/.docker by default', () => {
    delete process.env.SANDBOXD_HOME;
    delete process.env.DOCKER_CONFIG;
    const h = homedir();
    expect(all()).toEqual({
      sandboxdHome: `${h}/.sandboxd`,
      dockerConfigDir: `${h}/.docker`,
      cliPluginsDir: `${h}/.docker/cli-plugins`,
      sandboxesDir: `${h}/.docker/sandboxes/vm`,
      sandboxDir: `${h}/.docker/sandboxes/vm/claude-project`,
      defaultProxyConfigPath: `${h}/.sandboxd/proxy-config.json`,
      sandboxProxyConfigPath: `${h}/.docker/sandboxes/vm/claude-project/proxy-config.json`,
      imageCacheDir: `${h}/.docker/sandboxes/image-cache`,
      sandboxdSocketPath: `${h}/.sandboxd/sandboxd.sock`,
    });
  });

  it('honour SANDBOXD_HOME and DOCKER_CONFIG, made absolute', () => {
    process.env.SANDBOXD_HOME = '/srv/sbx';
    process.env.DOCKER_CONFIG = 'rel/docker';
    const docker = `${process.cwd()}/rel/docker`;
    expect(all()).toEqual({
      sandboxdHome: '/srv/sbx',
      dockerConfigDir: docker,
      cliPluginsDir: `${docker}/cli-plugins`,
      sandboxesDir: `${docker}/sandboxes/vm`,
      sandboxDir: `${docker}/sandboxes/vm/claude-project`,
      defaultProxyConfigPath: '/srv/sbx/proxy-config.json',
      sandboxProxyConfigPath: `${docker}/sandboxes/vm/claude-project/proxy-config.json`,
      imageCacheDir: `${docker}/sandboxes/image-cache`,
      sandboxdSocketPath: '/srv/sbx/sandboxd.sock',
    });
  });

  it.each(['', '..', '.hidden', 'a/b', '-flag', 'x'.repeat(129), 'name with space', 'é'])(
    'refuse the sandbox name %j, which could escape the sandboxes directory',
    (name) => {
      expect(() => sandboxDir(name)).toThrow(
        expect.objectContaining({ code: 'SBX_CONFIG_BAD_NAME' }),
      );
    },
  );

  it.each(['a', 'claude-project', 'my_box.2', 'X'.repeat(128)])(
    'accept the sandbox name %j',
    (name) => {
      expect(sandboxDir(name).endsWith(`/sandboxes/vm/${name}`)).toBe(true);
    },
  );
});
