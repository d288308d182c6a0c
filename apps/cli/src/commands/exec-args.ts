// The options of `sbx exec`, declared once: yargs builds its parser and help from this table,
// and `parseExecFast` reads the same table so the common case starts without loading yargs.
import { type OptionSpec, type OptionValues, optionIndex, takeOption } from './option-table.ts';

export const EXEC_OPTIONS: readonly OptionSpec[] = [
  { name: 'interactive', alias: 'i', type: 'boolean', describe: 'Keep stdin open' },
  { name: 'tty', alias: 't', type: 'boolean', describe: 'Allocate a terminal' },
  { name: 'detach', alias: 'd', type: 'boolean', describe: 'Run in the background' },
  {
    name: 'env',
    alias: 'e',
    type: 'string',
    repeat: true,
    describe: 'Set NAME=VALUE (or pass NAME)',
  },
  { name: 'env-file', type: 'string', repeat: true, describe: 'Read NAME=VALUE lines from a file' },
  { name: 'user', alias: 'u', type: 'string', describe: 'User (name or uid) inside the sandbox' },
  { name: 'workdir', alias: 'w', type: 'string', describe: 'Working directory inside the sandbox' },
];

export interface ExecOptions {
  interactive: boolean;
  tty: boolean;
  detach: boolean;
  env?: string[];
  envFile?: string[];
  user?: string;
  workdir?: string;
}

export interface ParsedExec {
  options: ExecOptions;
  sandbox: string;
  cmd: string[];
}

const index = optionIndex(EXEC_OPTIONS);

/**
 * Parses the words after `exec` when they are plainly valid (known options in their usual
 * spellings, then SANDBOX and a command); anything else — `--help`, an unknown or repeated
 * option, `--opt=value`, a missing sandbox — returns undefined so yargs parses it and prints
 * exactly its usual help or error.
 */
export function parseExecFast(words: readonly string[]): ParsedExec | undefined {
  const values: OptionValues = new Map();
  let i = 0;
  while (i < words.length && words[i]!.startsWith('-') && words[i] !== '-') {
    const next = takeOption(words, i, index, values);
    if (next === undefined) return undefined;
    i = next;
  }
  const [sandbox, ...cmd] = words.slice(i);
  if (sandbox === undefined || sandbox.startsWith('-') || cmd.length === 0) return undefined;
  const options: ExecOptions = {
    interactive: values.has('interactive'),
    tty: values.has('tty'),
    detach: values.has('detach'),
  };
  if (values.has('env')) options.env = values.get('env') as string[];
  if (values.has('env-file')) options.envFile = values.get('env-file') as string[];
  if (values.has('user')) options.user = values.get('user') as string;
  if (values.has('workdir')) options.workdir = values.get('workdir') as string;
  return { options, sandbox, cmd };
}
