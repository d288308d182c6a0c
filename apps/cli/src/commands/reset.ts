import type { CommandModule } from 'yargs';

export const resetCommand: CommandModule<object, { force: boolean }> = {
  command: 'reset',
  describe: 'Stop and remove every sandbox (asks first)',
  builder: (yargs) =>
    yargs.option('force', { alias: 'f', type: 'boolean', default: false, describe: 'Do not ask' }),
  handler: async (argv) => (await import('./sandboxes.handler.ts')).reset(argv),
};
