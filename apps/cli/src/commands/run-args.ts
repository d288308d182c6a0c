// The options of `sbx run`, declared once for yargs (parser and help) and for `parseRunFast`,
// which reads the plain forms without loading yargs.
import { type OptionSpec, type OptionValues, optionIndex, takeOption } from './option-table.ts';

export const RUN_OPTIONS: readonly OptionSpec[] = [
  { name: 'name', type: 'string', describe: 'Name of the sandbox (default <agent>-<dir>)' },
  {
    name: 'template',
    alias: 't',
    type: 'string',
    describe: 'Template image, or "host" for the built-in host template',
  },
  {
    name: 'load-local-template',
    type: 'boolean',
    describe: 'Take the template image from the local Docker Engine',
  },
  {
    name: 'env',
    alias: 'e',
    type: 'string',
    repeat: true,
    describe: 'Set NAME=VALUE (or pass NAME) for the agent',
  },
  { name: 'env-file', type: 'string', repeat: true, describe: 'Read NAME=VALUE lines from a file' },
  {
    name: 'detach',
    alias: 'd',
    type: 'boolean',
    describe: 'Start the sandbox without attaching the agent',
  },
];

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

const index = optionIndex(RUN_OPTIONS);

/**
 * Parses the words after `run` when they are plainly valid (`TARGET [WORKSPACE] [EXTRA…]` with
 * known options in their usual spellings, then `-- ARGS…` verbatim); anything else returns
 * undefined and goes to yargs, which prints its usual help or error.
 */
export function parseRunFast(words: readonly string[]): RunArgs | undefined {
  const end = words.indexOf('--');
  const head = end === -1 ? words : words.slice(0, end);
  const values: OptionValues = new Map();
  const positionals: string[] = [];
  let i = 0;
  while (i < head.length) {
    const word = head[i]!;
    if (!word.startsWith('-') || word === '-') {
      positionals.push(word);
      i++;
      continue;
    }
    const next = takeOption(head, i, index, values);
    if (next === undefined) return undefined;
    i = next;
  }
  const [target, workspace, ...extra] = positionals;
  if (target === undefined) return undefined;
  const args: RunArgs = {
    target,
    loadLocalTemplate: values.has('load-local-template'),
    detach: values.has('detach'),
  };
  if (workspace !== undefined) args.workspace = workspace;
  if (extra.length > 0) args.extra = extra;
  if (end !== -1) args['--'] = words.slice(end + 1);
  for (const [name, key] of [
    ['name', 'name'],
    ['template', 'template'],
    ['env', 'env'],
    ['env-file', 'envFile'],
  ] as const) {
    if (values.has(name)) (args as unknown as Record<string, unknown>)[key] = values.get(name);
  }
  return args;
}
