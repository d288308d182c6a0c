import type { CommandModule } from 'yargs';

export interface PluginArgs {
  force: boolean;
}

const force = {
  type: 'boolean',
  default: false,
  describe: 'Replace (or remove) a docker-sandbox plugin that sbx did not install',
} as const;

/** `sbx install-plugin`: makes `docker sandbox …` run this sbx. */
export const installPluginCommand: CommandModule<object, PluginArgs> = {
  command: 'install-plugin',
  describe: 'Install sbx as the Docker CLI plugin, so `docker sandbox …` runs sbx',
  builder: (yargs) =>
    yargs
      .option('force', force)
      .example(
        '$0 install-plugin',
        'Write $DOCKER_CONFIG/cli-plugins/docker-sandbox (default ~/.docker)',
      )
      .example('docker sandbox network proxy my-box --show', 'Then use sbx through docker')
      .epilogue(
        'The plugin runs this installation of sbx with this Node.js, by absolute path: reinstall it after moving either.',
      ),
  handler: async (argv) => (await import('./plugin.handler.ts')).installPlugin(argv),
};

/** `sbx uninstall-plugin`: removes what install-plugin wrote. */
export const uninstallPluginCommand: CommandModule<object, PluginArgs> = {
  command: 'uninstall-plugin',
  describe: 'Remove the docker-sandbox Docker CLI plugin installed by sbx',
  builder: (yargs) =>
    yargs
      .option('force', force)
      .example('$0 uninstall-plugin', 'Remove $DOCKER_CONFIG/cli-plugins/docker-sandbox'),
  handler: async (argv) => (await import('./plugin.handler.ts')).uninstallPlugin(argv),
};
