import type { CommandModule } from 'yargs';

export const stopCommand: CommandModule<object, { sandboxes: string[] }> = {
  command: 'stop <sandboxes..>',
  describe: 'Stop sandboxes (their files stay)',
  builder: (yargs) =>
    yargs.positional('sandboxes', { type: 'string', array: true, demandOption: true }),
  handler: async (argv) => (await import('./sandboxes.handler.ts')).stop(argv),
};
