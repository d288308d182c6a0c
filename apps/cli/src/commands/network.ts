import type { CommandModule } from 'yargs';
import { networkLogCommand } from './network-log.ts';
import { networkProxyCommand } from './network-proxy.ts';

/** `sbx network …`: the network subcommands; each is its own module. */
export const networkCommand: CommandModule = {
  command: 'network <command>',
  describe: 'Network policy and request log of sandboxes',
  builder: (yargs) =>
    yargs
      .command(networkProxyCommand)
      .command(networkLogCommand)
      .demandCommand(1)
      .example('$0 network proxy my-box --allow-host api.example.com:443', 'Allow a host')
      .example('$0 network log my-box -f', 'Follow the requests of a sandbox'),
  handler: () => {},
};
