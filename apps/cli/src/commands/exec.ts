import type { CommandModule } from 'yargs';

/**
 * `exec` stops parsing at the sandbox name: everything after it is the command, verbatim,
 * dashes included (`sbx exec box ls -la`). The handler parses the leading options itself.
 */
export const execCommand: CommandModule<object, { _: (string | number)[] }> = {
  command: 'exec [sandbox] [command..]',
  describe: 'Run a command in a sandbox (starting it first when stopped)',
  builder: (yargs) =>
    yargs
      .parserConfiguration({
        'halt-at-non-option': true,
        'unknown-options-as-args': true,
        'parse-positional-numbers': false,
      })
      .usage('$0 exec [OPTIONS] SANDBOX COMMAND [ARG…]\n\nRun a command in a sandbox.')
      .example('$0 exec -it claude-project bash', 'An interactive shell')
      .example('$0 exec claude-project ls -la', 'Arguments reach the command as given')
      .demandCommand(0)
      .strict(false),
  handler: async (argv) => (await import('./exec.handler.ts')).exec(argv._.map(String)),
};
