import type { Argv, CommandModule } from 'yargs';

export interface NetworkProxyArgs {
  sandbox?: string;
  default: boolean;
  policy?: string;
  allowHost: string[];
  blockHost: string[];
  bypassHost: string[];
  allowCidr: string[];
  blockCidr: string[];
  bypassCidr: string[];
  removeHost: string[];
  removeCidr: string[];
  reset: boolean;
  show: boolean;
  json: boolean;
}

// Repeatable flags; not yargs arrays, which would swallow the sandbox name after them.
const many = (describe: string) =>
  ({
    type: 'string',
    describe,
    default: [] as string[],
    defaultDescription: 'none',
    coerce: (value: string | string[]) => (Array.isArray(value) ? value : [value]),
  }) as const;

/** `sbx network proxy`: Docker's `docker sandbox network proxy`, plus remove, reset and show. */
export const networkProxyCommand: CommandModule<object, NetworkProxyArgs> = {
  command: 'proxy [sandbox]',
  describe: "Change or show a sandbox's network policy (or the default for new sandboxes)",
  builder: (yargs) =>
    yargs
      .positional('sandbox', { type: 'string', describe: 'The sandbox whose policy to change' })
      .option('default', {
        type: 'boolean',
        default: false,
        describe: 'Edit the default policy new sandboxes start from, instead of a sandbox',
      })
      .option('policy', {
        type: 'string',
        describe: 'Set the mode for hosts no rule matches: allow or deny',
      })
      .option('allow-host', many('Permit a host or pattern (example.com, *.example.com:443, *)'))
      .option('block-host', many('Block a host or pattern'))
      .option('bypass-host', many('Tunnel a host without TLS interception or credential injection'))
      .option('allow-cidr', many('Allow an IP range, removing it from the block and bypass lists'))
      .option('block-cidr', many('Block an IP range (CIDR)'))
      .option('bypass-cidr', many('Tunnel an IP range without TLS interception'))
      .option('remove-host', many('Remove a host pattern from every host list'))
      .option('remove-cidr', many('Remove a CIDR from every CIDR list'))
      .option('reset', {
        type: 'boolean',
        default: false,
        describe: "Start over from the default policy (--default: from sbx's built-in one)",
      })
      .option('show', {
        type: 'boolean',
        default: false,
        describe: 'Print the effective rules in evaluation order, defaults included',
      })
      .option('json', { type: 'boolean', default: false, describe: 'Print as JSON' })
      .group(['allow-host', 'block-host', 'bypass-host', 'remove-host'], 'Hosts:')
      .group(['allow-cidr', 'block-cidr', 'bypass-cidr', 'remove-cidr'], 'IP ranges:')
      .example(
        '$0 network proxy my-box --allow-host api.example.com:443',
        'Allow one host and port',
      )
      .example(
        '$0 network proxy my-box --policy deny --allow-host "*.github.com"',
        'Deny all but GitHub',
      )
      .example('$0 network proxy my-box --allow-cidr 10.0.0.0/8', 'Reach the private 10/8 network')
      .example('$0 network proxy my-box --remove-host api.example.com:443', 'Undo an --allow-host')
      .example('$0 network proxy my-box --show', 'List the rules in the order they apply')
      .example(
        '$0 network proxy --default --block-host "*.example.com"',
        'Change the policy of new sandboxes',
      )
      .example('$0 network proxy my-box --reset', 'Go back to the default policy')
      .epilogue(
        'A more specific rule wins; at equal specificity a block wins. Repeat a flag to add several entries.\nWith no change flags the rules are shown. Invalid input changes nothing and exits with code 2.\nFiles: $DOCKER_CONFIG/sandboxes/vm/<sandbox>/proxy-config.json, $SANDBOXD_HOME/proxy-config.json (--default).',
      ) as unknown as Argv<NetworkProxyArgs>, // yargs types the flags by their kebab-case names
  handler: async (argv) => (await import('./network-proxy.handler.ts')).networkProxy(argv),
};
