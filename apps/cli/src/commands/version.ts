import type { CommandModule } from 'yargs';

export const versionCommand: CommandModule<object, { json: boolean }> = {
  command: 'version',
  describe: 'Show the sbx version',
  builder: (yargs) =>
    yargs
      .option('json', { type: 'boolean', default: false, describe: 'Print as JSON' })
      .example('$0 version', 'Print the version of sbx and of Node.js'),
  handler: async (argv) => (await import('./version.handler.ts')).printVersion(argv),
};
