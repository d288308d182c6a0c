// The options of `sbx exec`, declared once: yargs builds its parser and help from this table,
// and `parseExecFast` reads the same table so the common case starts without loading yargs.

export interface ExecOptionSpec {
  name: 'interactive' | 'tty' | 'detach' | 'env' | 'env-file' | 'user' | 'workdir';
  alias?: string;
  type: 'boolean' | 'string';
  /** May be given more than once (collected in order). */
  repeat?: boolean;
  describe: string;
}

export const EXEC_OPTIONS: readonly ExecOptionSpec[] = [
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

const byLong = new Map(EXEC_OPTIONS.map((spec) => [`--${spec.name}`, spec]));
const byShort = new Map(EXEC_OPTIONS.filter((s) => s.alias).map((s) => [`-${s.alias}`, s]));

/**
 * Parses the words after `exec` when they are plainly valid (known options in their usual
 * spellings, then SANDBOX and a command); anything else — `--help`, an unknown or repeated
 * option, `--opt=value`, a missing sandbox — returns undefined so yargs parses it and prints
 * exactly its usual help or error.
 */
export function parseExecFast(words: readonly string[]): ParsedExec | undefined {
  const options: ExecOptions = { interactive: false, tty: false, detach: false };
  const seen = new Set<string>();
  const set = (spec: ExecOptionSpec, value: string | true): boolean => {
    if (seen.has(spec.name) && !spec.repeat) return false;
    seen.add(spec.name);
    if (spec.type === 'boolean') {
      (options as unknown as Record<string, boolean>)[spec.name] = true;
    } else if (spec.repeat) {
      const key = spec.name === 'env-file' ? 'envFile' : 'env';
      options[key] = [...(options[key] ?? []), value as string];
    } else {
      options[spec.name as 'user' | 'workdir'] = value as string;
    }
    return true;
  };
  let i = 0;
  for (; i < words.length; i++) {
    const word = words[i]!;
    if (!word.startsWith('-') || word === '-') break;
    const long = byLong.get(word);
    const specs = long
      ? [long]
      : /^-[a-z]+$/.test(word)
        ? [...word.slice(1)].map((c) => byShort.get(`-${c}`))
        : [undefined];
    const last = specs.at(-1);
    // Only booleans may be combined (`-it`); a value option stands alone, its value next.
    if (specs.some((spec) => spec === undefined)) return undefined;
    if (specs.length > 1 && specs.some((spec) => spec!.type !== 'boolean')) return undefined;
    if (last!.type === 'string') {
      const value = words[++i];
      if (value === undefined || value.startsWith('-') || !set(last!, value)) return undefined;
    } else if (!specs.every((spec) => set(spec!, true))) {
      return undefined;
    }
  }
  const [sandbox, ...cmd] = words.slice(i);
  if (sandbox === undefined || sandbox.startsWith('-') || cmd.length === 0) return undefined;
  return { options, sandbox, cmd };
}
