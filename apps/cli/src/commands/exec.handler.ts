import yargs from 'yargs';
import { CliError, EXIT } from '../errors.ts';
import { runExec } from './exec.run.ts';
import { EXEC_OPTIONS, type ExecOptions, type ParsedExec } from './exec-args.ts';

/** Parses `[OPTIONS] SANDBOX COMMAND…` (the words after `exec`) and stops at the sandbox name. */
export async function parseExecArgs(words: string[]): Promise<ParsedExec | undefined> {
  let usageError: string | undefined;
  let parser = yargs(words)
    .scriptName('sbx exec')
    .usage(
      'Usage: sbx exec [OPTIONS] SANDBOX COMMAND [ARG…]\n\nRun a command in a sandbox (starting it first when stopped). Everything after SANDBOX reaches the command as given.',
    )
    .parserConfiguration({ 'halt-at-non-option': true, 'parse-positional-numbers': false });
  for (const spec of EXEC_OPTIONS) {
    parser = parser.option(spec.name, {
      alias: spec.alias,
      type: spec.type,
      describe: spec.describe,
      ...(spec.type === 'boolean' ? { default: false } : {}),
      ...(spec.repeat ? { array: true, nargs: 1 } : {}),
    });
  }
  const argv = await parser
    .help()
    .alias('h', 'help')
    .version(false)
    .strict()
    .fail((message, error) => {
      // yargs reports some usage mistakes (`-e` without a value) as a YError, not a message.
      if (error && error.name !== 'YError') throw error;
      usageError = message ?? error.message;
    })
    .exitProcess(false)
    .parseAsync();
  if (usageError !== undefined) {
    throw new CliError(usageError, { code: 'SBX_USAGE', exitCode: EXIT.usage });
  }
  if (argv.help) return undefined;
  const [sandbox, ...cmd] = argv._.map(String);
  if (sandbox === undefined || cmd.length === 0) {
    throw new CliError('exec needs a sandbox and a command: sbx exec SANDBOX COMMAND [ARG…]', {
      code: 'SBX_USAGE',
      exitCode: EXIT.usage,
    });
  }
  return { options: argv as unknown as ExecOptions, sandbox, cmd };
}

/** `words` are the arguments as yargs left them: the command name(s), then everything after. */
export async function exec(words: string[]): Promise<void> {
  const rest = words[0] === 'exec' ? words.slice(words[1] === 'exec' ? 2 : 1) : words;
  const parsed = await parseExecArgs(rest);
  if (parsed) process.exitCode = await runExec(parsed);
}
