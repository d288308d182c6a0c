import type { Argv, CommandModule } from 'yargs';
import { RUN_OPTIONS, type RunArgs } from './run-args.ts';

export type { RunArgs } from './run-args.ts';

export const runCommand: CommandModule = {
  command: 'run <target> [workspace] [extra..]',
  describe: 'Run an agent in a sandbox, creating and starting it when needed',
  builder: (yargs) =>
    withRunOptions(yargs)
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
      .example('$0 run claude ~/project', 'Claude Code in a sandbox on ~/project')
      .example('$0 run shell -t host', 'A shell in a sandbox on the built-in host template')
      .example('$0 run claude-project -- --continue', 'Run again, with arguments for the agent'),
  handler: async (argv) => (await import('./run.handler.ts')).run(argv as unknown as RunArgs),
};

/** The options of RUN_OPTIONS, in their order, as yargs declares them. */
function withRunOptions(yargs: Argv): Argv {
  let out = yargs;
  for (const spec of RUN_OPTIONS) {
    out = out.option(spec.name, {
      alias: spec.alias,
      type: spec.type,
      describe: spec.describe,
      ...(spec.type === 'boolean' ? { default: false } : {}),
      ...(spec.repeat ? { array: true, nargs: 1 } : {}),
    });
  }
  return out;
}
