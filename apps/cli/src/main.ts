import yargs, { type CommandModule } from 'yargs';
import { commands } from './commands/index.ts';
import { CliError, EXIT, formatError } from './errors.ts';
import { VERSION } from './version.ts';

export interface MainOptions {
  /** How the program is called in help and errors: `sbx`, or `docker sandbox` as a plugin. */
  scriptName?: string;
}

/**
 * When the shell asks for completions of a word after a command (`sbx network proxy --<TAB>`),
 * only that command: yargs takes the first word as the value of `--get-yargs-completions` and
 * would run the next one as a top-level command (`sbx proxy`, whose options are others).
 */
// biome-ignore lint/suspicious/noExplicitAny: yargs command modules differ in their argv types
function completing(args: string[]): CommandModule<any, any>[] | undefined {
  if (args[0] !== '--get-yargs-completions' || args.length < 3) return undefined;
  const only = commands.filter((c) => String(c.command).split(' ')[0] === args[1]);
  return only.length > 0 ? only : undefined;
}

/** Runs the CLI on the given arguments (without node and script) and returns the exit code. */
export async function main(args: string[], options: MainOptions = {}): Promise<number> {
  const scriptName = options.scriptName ?? 'sbx';
  let usageError: string | undefined;
  const cli = yargs(args)
    .scriptName(scriptName)
    .usage(`Usage: $0 <command> [options]\n\nRun AI coding agents in isolated sandboxes.`)
    .command(completing(args) ?? commands)
    .demandCommand(1, `${scriptName}: a command is needed; run '${scriptName} --help' for the list`)
    .recommendCommands()
    .completion('completion', 'Print a bash/zsh completion script: sbx completion >> ~/.bashrc')
    .strict()
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .epilogue(
      "Exit codes: 0 ok, 1 failed, 2 bad usage, 130 interrupted.\nRun '$0 <command> --help' for the options of a command.",
    )
    .fail((message, error) => {
      if (error) throw error;
      usageError = message;
      throw new CliError(message, { code: 'SBX_USAGE', exitCode: EXIT.usage });
    })
    .exitProcess(false);
  try {
    await cli.parseAsync();
    return process.exitCode === undefined ? EXIT.ok : Number(process.exitCode);
  } catch (error) {
    if (usageError !== undefined) {
      const hint = usageError.includes('--help') ? '' : `\nRun '${scriptName} --help' for usage.`;
      process.stderr.write(`${scriptName}: ${usageError.replace(/^\w+: /, '')}${hint}\n`);
      return EXIT.usage;
    }
    const { text, exitCode } = formatError(error, scriptName);
    process.stderr.write(`${text}\n`);
    return exitCode;
  }
}
