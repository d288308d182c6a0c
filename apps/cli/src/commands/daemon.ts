import type { CommandModule } from 'yargs';

export const daemonCommand: CommandModule = {
  command: 'daemon <action>',
  describe: 'Start, stop or check sandboxd, the daemon that runs the sandboxes',
  builder: (yargs) =>
    yargs
      .positional('action', { choices: ['start', 'stop', 'status'] as const, demandOption: true })
      .option('json', { type: 'boolean', default: false, describe: 'Print status as JSON' })
      .example('$0 daemon status', 'Is sandboxd running, with which pid, socket and log')
      .example('$0 daemon stop', 'Stop every sandbox and the daemon'),
  handler: async (argv) =>
    (await import('./daemon.handler.ts')).daemon(
      argv as unknown as { action: string; json: boolean },
    ),
};
