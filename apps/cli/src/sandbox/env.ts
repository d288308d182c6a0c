import { readFileSync } from 'node:fs';
import { CliError, EXIT } from '../errors.ts';

/**
 * Variables from `-e NAME=VALUE` / `-e NAME` (taken from this environment) and `--env-file`
 * files (`NAME=VALUE` lines, `#` comments), as Docker reads them; later ones win.
 */
export function parseEnvFlags(
  flags: readonly string[] = [],
  files: readonly string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (entry: string, where: string) => {
    const eq = entry.indexOf('=');
    const name = eq === -1 ? entry : entry.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new CliError(`invalid environment variable "${entry}" in ${where}: use NAME=VALUE`, {
        code: 'SBX_USAGE',
        exitCode: EXIT.usage,
      });
    }
    if (eq !== -1) out[name] = entry.slice(eq + 1);
    else if (env[name] !== undefined) out[name] = env[name]!;
  };
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new CliError(`cannot read --env-file ${file}: ${(error as Error).message}`, {
        code: 'SBX_USAGE',
        exitCode: EXIT.usage,
      });
    }
    text.split(/\r?\n/).forEach((line, i) => {
      const trimmed = line.trim();
      if (trimmed && !trimmed.startsWith('#')) add(trimmed, `${file}:${i + 1}`);
    });
  }
  for (const flag of flags) add(flag, '-e');
  return out;
}

/** The values of the credential variables a sandbox uses, from this process's environment. */
export function collectSecrets(
  names: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = env[name];
    if (value) out[name] = value;
  }
  return out;
}
