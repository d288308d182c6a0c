import type { CommandModule } from 'yargs';

export interface RunArgs {
  target: string;
  workspace?: string;
  extra?: string[];
  '--'?: (string | number)[];
  name?: string;
  template?: string;
  loadLocalTemplate: boolean;
  env?: string[];
  envFile?: string[];
  detach: boolean;
}

export const runCommand: CommandModule = {
  command: 'run <target> [workspace] [extra..]',
  describe: 'Run an agent in a sandbox, creating and starting it when needed',
  builder: (yargs) =>
    yargs
      .parserConfiguration({ 'populate--': true })
      .usage(
        '$0 run AGENT [WORKSPACE] [EXTRA_WORKSPACE[:ro]…] [-- AGENT_ARGS…]\n$0 run SANDBOX [-- AGENT_ARGS…]\n\nRun an agent (claude, codex, gemini, cagent, kiro, shell) in a sandbox attached to this terminal. The same agent and workspace again reuse their sandbox.',
      )
      .positional('target', {
        type: 'string',
        demandOption: true,
        describe: 'An agent, or the name of a sandbox',
      })
      .positional('workspace', {
        type: 'string',
        describe: 'The workspace (default: the current directory)',
      })
      .positional('extra', {
        type: 'string',
        array: true,
        describe: 'More workspaces; add :ro for read-only',
      })
      .option('name', { type: 'string', describe: 'Name of the sandbox (default <agent>-<dir>)' })
      .option('template', {
        alias: 't',
        type: 'string',
        describe: 'Template image, or "host" for the built-in host template',
      })
      .option('load-local-template', {
        type: 'boolean',
        default: false,
        describe: 'Take the template image from the local Docker Engine',
      })
      .option('env', {
        alias: 'e',
        type: 'string',
        array: true,
        nargs: 1,
        describe: 'Set NAME=VALUE (or pass NAME) for the agent',
      })
      .option('env-file', {
        type: 'string',
        array: true,
        nargs: 1,
        describe: 'Read NAME=VALUE lines from a file',
      })
      .option('detach', {
        alias: 'd',
        type: 'boolean',
        default: false,
        describe: 'Start the sandbox without attaching the agent',
      })
      .example('$0 run claude ~/project', 'Claude Code in a sandbox on ~/project')
      .example('$0 run shell -t host', 'A shell in a sandbox on the built-in host template')
      .example('$0 run claude-project -- --continue', 'Run again, with arguments for the agent'),
  handler: async (argv) => (await import('./run.handler.ts')).run(argv as unknown as RunArgs),
};
