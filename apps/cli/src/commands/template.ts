import type { Argv, CommandModule } from 'yargs';

export interface TemplateArgs {
  ref?: string;
  refs?: string[];
  file?: string;
  target?: string;
  tag?: string;
  json?: boolean;
  insecure?: boolean;
  platform?: string;
}

const handlers = () => import('./template.handler.ts');
const REF =
  'An image reference: ubuntu, docker/sandbox-templates:claude-code, host:5000/team/img:v1, name@sha256:…';
const ref = (y: Argv<TemplateArgs>, describe = REF) =>
  y.positional('ref', { type: 'string', demandOption: true, describe });
const json = (y: Argv<TemplateArgs>) =>
  y.option('json', { type: 'boolean', default: false, describe: 'Print as JSON' });
const registry = (y: Argv<TemplateArgs>) =>
  y.option('insecure', {
    type: 'boolean',
    default: false,
    describe: 'Allow plain HTTP to this registry (loopback registries always may)',
  });

// biome-ignore lint/suspicious/noExplicitAny: yargs command modules differ in their argv types
const sub: CommandModule<any, TemplateArgs>[] = [
  {
    command: 'ls',
    aliases: ['list'],
    describe: 'List template images in the store',
    builder: json,
    handler: async (argv) => (await handlers()).list(argv),
  },
  {
    command: 'pull <ref>',
    describe: 'Pull a template image from its registry and unpack it',
    builder: (y) =>
      ref(registry(y))
        .option('platform', { type: 'string', describe: 'os/arch[/variant] (default: this host)' })
        .example('$0 template pull docker/sandbox-templates:claude-code', ''),
    handler: async (argv) => (await handlers()).pull(argv),
  },
  {
    command: 'load <ref>',
    describe: 'Load a template image from the local Docker Engine (DOCKER_HOST honoured)',
    builder: (y) =>
      ref(y, 'The image as the Docker Engine names it (docker image ls)').example(
        '$0 template load my-team/agent:latest',
        '',
      ),
    handler: async (argv) => (await handlers()).load(argv),
  },
  {
    command: 'import <file>',
    describe: 'Import a docker save tarball or an OCI image layout (directory or tar)',
    builder: (y) =>
      y
        .positional('file', {
          type: 'string',
          demandOption: true,
          describe: 'A docker save tarball, an OCI layout directory, or an OCI layout tar',
        })
        .option('tag', { type: 'string', describe: 'Name the imported image' }),
    handler: async (argv) => (await handlers()).importFile(argv),
  },
  {
    command: 'push <ref> [target]',
    describe: 'Push a template image from the store to a registry',
    builder: (y) =>
      ref(registry(y), 'The image in the store to push')
        .positional('target', {
          type: 'string',
          describe: 'Where to push it (default: the reference itself)',
        })
        .example('$0 template push my-agent:v1 localhost:5000/team/my-agent:v1', ''),
    handler: async (argv) => (await handlers()).push(argv),
  },
  {
    command: 'inspect <ref>',
    describe: 'Show the digest, config and root filesystem of a template image',
    builder: (y) => ref(json(y)),
    handler: async (argv) => (await handlers()).inspect(argv),
  },
  {
    command: 'rm <refs..>',
    describe: 'Remove template tags (space is freed by prune)',
    builder: (y) =>
      y.positional('refs', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'Image references whose tags to remove',
      }),
    handler: async (argv) => (await handlers()).remove(argv),
  },
  {
    command: 'prune',
    describe: 'Delete blobs and unpacked trees that no tag and no sandbox uses',
    builder: json,
    handler: async (argv) => (await handlers()).prune(argv),
  },
];

/** `sbx template …`: the template image store (@sbx/templates). */
export const templateCommand: CommandModule = {
  command: 'template <command>',
  describe: 'Template images: pull, load, import, push, inspect, remove',
  builder: (yargs) => sub.reduce((y, c) => y.command(c), yargs).demandCommand(1),
  handler: () => {},
};
