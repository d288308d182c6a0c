import type { CommandModule } from 'yargs';

export interface LsArgs {
  json: boolean;
  quiet: boolean;
  trunc: boolean;
}

export const lsCommand: CommandModule<object, LsArgs> = {
  command: 'ls',
  aliases: ['list'],
  describe: 'List sandboxes',
  builder: (yargs) =>
    yargs
      .option('json', { type: 'boolean', default: false, describe: 'Print as JSON' })
      .option('quiet', {
        alias: 'q',
        type: 'boolean',
        default: false,
        describe: 'Print only names',
      })
      .option('trunc', {
        type: 'boolean',
        default: true,
        describe: 'Shorten long values (--no-trunc to keep them)',
      })
      .example('$0 ls', 'Name, agent, status, template, workspace and age of each sandbox'),
  handler: async (argv) => (await import('./sandboxes.handler.ts')).list(argv),
};
