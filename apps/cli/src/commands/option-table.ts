// A declared option list read without yargs: the fast paths of `exec` and `run` take one word
// at a time through `takeOption`, which accepts only plain spellings and declines the rest.

export interface OptionSpec {
  name: string;
  alias?: string;
  type: 'boolean' | 'string';
  /** May be given more than once (collected in order). */
  repeat?: boolean;
  describe: string;
}

export type OptionValues = Map<string, true | string | string[]>;

/** The options a `takeOption` call looks up, by `--name` and `-a`. */
export function optionIndex(specs: readonly OptionSpec[]): Map<string, OptionSpec> {
  const index = new Map<string, OptionSpec>();
  for (const spec of specs) {
    index.set(`--${spec.name}`, spec);
    if (spec.alias) index.set(`-${spec.alias}`, spec);
  }
  return index;
}

/**
 * Reads the option at `words[i]` into `values` and returns the index after it, or undefined
 * when it is not plainly valid (unknown, repeated, `--opt=value`, `--no-opt`, a value option in
 * a cluster, a missing value or one starting with `-`): the caller then leaves it to yargs.
 */
export function takeOption(
  words: readonly string[],
  i: number,
  index: Map<string, OptionSpec>,
  values: OptionValues,
): number | undefined {
  const word = words[i]!;
  const whole = index.get(word);
  const cluster = /^-[a-zA-Z]{2,}$/.test(word)
    ? [...word.slice(1)].map((c) => index.get(`-${c}`))
    : [];
  const specs = whole ? [whole] : cluster;
  if (specs.length === 0 || specs.some((spec) => spec === undefined)) return undefined;
  if (specs.length > 1 && specs.some((spec) => spec!.type !== 'boolean')) return undefined;
  for (const spec of specs as OptionSpec[]) {
    const previous = values.get(spec.name);
    if (previous !== undefined && !spec.repeat) return undefined;
    if (spec.type === 'boolean') {
      values.set(spec.name, true);
      continue;
    }
    const value = words[++i];
    if (value === undefined || value.startsWith('-')) return undefined;
    values.set(spec.name, spec.repeat ? [...((previous as string[]) ?? []), value] : value);
  }
  return i + 1;
}
