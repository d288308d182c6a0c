import type { CommandModule } from 'yargs';

export interface CreateArgs {
  agent: string;
  workspace: string;
  extra?: string[];
  name?: string;
  template?: string;
  loadLocalTemplate: boolean;
  quiet: boolean;
}

export const createCommand: CommandModule = {
  command: 'create <agent> <workspace> [extra..]',
  describe: 'Create and start a sandbox without attaching an agent',
  builder: (yargs) =>
    yargs
      .positional('agent', {
        type: 'string',
        describe: 'claude, codex, gemini, cagent, kiro or shell',
      })
      .positional('workspace', {
        type: 'string',
        demandOption: true,
        describe: 'The workspace directory',
      })
      .positional('extra', {
        type: 'string',
        array: true,
        describe: 'More workspaces; add :ro for read-only',
      })
      .option('name', { type: 'string', describe: 'Name of the sandbox (default <agent>-<dir>)' })
      .option('template', { alias: 't', type: 'string', describe: 'Template image, or "host"' })
      .option('load-local-template', {
        type: 'boolean',
        default: false,
        describe: 'Take the template image from the local Docker Engine',
      })
      .option('quiet', {
        alias: 'q',
        type: 'boolean',
        default: false,
        describe: 'Print only the name',
      })
      .example('$0 create shell . -t host', 'A sandbox on the built-in host template'),
  handler: async (argv) =>
    (await import('./create.handler.ts')).create(argv as unknown as CreateArgs),
};
