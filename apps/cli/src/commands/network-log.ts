import type { CommandModule } from 'yargs';

export interface NetworkLogArgs {
  sandbox?: string;
  json: boolean;
  limit: number;
  follow: boolean;
}

/** `sbx network log`: a subcommand of the `network` group. */
export const networkLogCommand: CommandModule<object, NetworkLogArgs> = {
  command: 'log [sandbox]',
  describe: 'Show the requests sandboxes made through their proxy',
  builder: (yargs) =>
    yargs
      .positional('sandbox', { type: 'string', describe: 'Only this sandbox (default: all)' })
      .option('json', { type: 'boolean', default: false, describe: 'Print JSON lines' })
      .option('limit', { type: 'number', default: 100, describe: 'Show the last N requests' })
      .option('follow', {
        alias: 'f',
        type: 'boolean',
        default: false,
        describe: 'Keep printing new requests',
      })
      .example('$0 network log claude-project -f', 'Follow the requests of one sandbox')
      .epilogue(
        'Each line: TIME sandbox=NAME request|tunnel METHOD URL allowed|denied|bypassed ' +
          'status=CODE rule=RULE DURATIONms. rule is the policy rule that decided ' +
          "((default): the policy's default); status is - when none was sent. URLs carry no " +
          'query values. --json prints every field, bytes in and out included.',
      ),
  handler: async (argv) => (await import('./network-log.handler.ts')).networkLog(argv),
};
