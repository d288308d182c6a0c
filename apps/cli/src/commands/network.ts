import type { CommandModule } from 'yargs';
import { networkLogCommand } from './network-log.ts';

/** `sbx network …`: the network subcommands; each is its own module. */
export const networkCommand: CommandModule = {
  command: 'network <command>',
  describe: 'Network policy and request log of sandboxes',
  builder: (yargs) => yargs.command(networkLogCommand).demandCommand(1),
  handler: () => {},
};
