import { execInSandbox } from '@sbx/sandboxd';
import yargs from 'yargs';
import { CliError, EXIT } from '../errors.ts';
import { withDaemon } from '../sandbox/daemon-client.ts';
import { parseEnvFlags } from '../sandbox/env.ts';
import { startSandbox } from '../sandbox/start.ts';

interface ExecOptions {
  interactive: boolean;
  tty: boolean;
  detach: boolean;
  env?: string[];
  envFile?: string[];
  user?: string;
  workdir?: string;
}

/** Parses `[OPTIONS] SANDBOX COMMAND…` (the words after `exec`) and stops at the sandbox name. */
export async function parseExecArgs(
  words: string[],
): Promise<{ options: ExecOptions; sandbox: string; cmd: string[] } | undefined> {
  let usageError: string | undefined;
  const parser = yargs(words)
    .scriptName('sbx exec')
    .usage(
      'Usage: sbx exec [OPTIONS] SANDBOX COMMAND [ARG…]\n\nRun a command in a sandbox (starting it first when stopped). Everything after SANDBOX reaches the command as given.',
    )
    .parserConfiguration({ 'halt-at-non-option': true })
    .option('interactive', {
      alias: 'i',
      type: 'boolean',
      default: false,
      describe: 'Keep stdin open',
    })
    .option('tty', { alias: 't', type: 'boolean', default: false, describe: 'Allocate a terminal' })
    .option('detach', {
      alias: 'd',
      type: 'boolean',
      default: false,
      describe: 'Run in the background',
    })
    .option('env', {
      alias: 'e',
      type: 'string',
      array: true,
      nargs: 1,
      describe: 'Set NAME=VALUE (or pass NAME)',
    })
    .option('env-file', {
      type: 'string',
      array: true,
      nargs: 1,
      describe: 'Read NAME=VALUE lines from a file',
    })
    .option('user', {
      alias: 'u',
      type: 'string',
      describe: 'User (name or uid) inside the sandbox',
    })
    .option('workdir', {
      alias: 'w',
      type: 'string',
      describe: 'Working directory inside the sandbox',
    })
    .help()
    .alias('h', 'help')
    .version(false)
    .strict()
    .fail((message, error) => {
      if (error) throw error;
      usageError = message;
    })
    .exitProcess(false);
  const argv = await parser.parseAsync();
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
  if (!parsed) return;
  const { options, sandbox: name, cmd } = parsed;
  const env = parseEnvFlags(options.env, options.envFile);
  const code = await withDaemon(async (client) => {
    let sandbox = await client.inspect(name);
    if (sandbox.status !== 'running') sandbox = await startSandbox(client, sandbox);
    const request = { cmd, env, user: options.user, workdir: options.workdir, tty: options.tty };
    if (options.detach) {
      await client.execDetached(name, request);
      return 0;
    }
    const result = await execInSandbox(sandbox, request, { interactive: options.interactive });
    return result.exitCode;
  });
  process.exitCode = code;
}
