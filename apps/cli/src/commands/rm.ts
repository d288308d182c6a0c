import type { CommandModule } from 'yargs';

export const rmCommand: CommandModule<object, { sandboxes: string[] }> = {
  command: 'rm <sandboxes..>',
  aliases: ['remove'],
  describe: 'Remove sandboxes (workspace files stay on the host)',
  builder: (yargs) =>
    yargs.positional('sandboxes', { type: 'string', array: true, demandOption: true }),
  handler: async (argv) => (await import('./sandboxes.handler.ts')).remove(argv),
};
