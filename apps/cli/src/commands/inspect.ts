import type { CommandModule } from 'yargs';

export const inspectCommand: CommandModule<object, { sandbox: string; json: boolean }> = {
  command: 'inspect <sandbox>',
  describe: 'Show the details of a sandbox',
  builder: (yargs) =>
    yargs
      .positional('sandbox', { type: 'string', demandOption: true })
      .option('json', { type: 'boolean', default: false, describe: 'Print as JSON' }),
  handler: async (argv) => (await import('./sandboxes.handler.ts')).inspect(argv),
};
