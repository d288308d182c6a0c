import type { CommandModule } from 'yargs';

export interface ProxyArgs {
  config: string;
  listen: string;
  'ca-dir'?: string;
  log?: string;
  sandbox?: string;
}

/** `sbx proxy`: the filtering proxy alone, in the foreground (no sandbox, no daemon). */
export const proxyCommand: CommandModule<object, ProxyArgs> = {
  command: 'proxy',
  describe: 'Run the filtering proxy in the foreground, without sandboxes',
  builder: (yargs) =>
    yargs
      .option('config', {
        type: 'string',
        demandOption: true,
        describe: 'proxy-config.json to enforce (reloaded when it changes)',
      })
      .option('listen', {
        type: 'string',
        default: '127.0.0.1:0',
        describe: 'host:port to listen on (port 0: any free port)',
      })
      .option('ca-dir', {
        type: 'string',
        describe:
          'Where proxy_cacerts/ (the interception CA) lives (default: the config directory)',
      })
      .option('log', {
        type: 'string',
        describe: 'Append the JSONL request log here (default: stderr)',
      })
      .option('sandbox', {
        type: 'string',
        describe: 'Sandbox name for the log and the CA subject',
      })
      .example(
        '$0 proxy --config ./proxy-config.json --listen 127.0.0.1:3128',
        'Prints {"listen":"127.0.0.1:3128","ca":"…/proxy_cacerts/proxy-ca.crt"} once ready',
      ),
  handler: async (argv) => (await import('./proxy.handler.ts')).runProxy(argv),
};
