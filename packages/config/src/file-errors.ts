import { basename, dirname } from 'node:path';
import { ConfigError } from './errors.ts';
import { formatIssue } from './issues.ts';
import { locate } from './json-text.ts';
import type { Analysis } from './parse.ts';
import { defaultProxyConfigPath, sandboxesDir } from './paths.ts';

/** The `sbx network proxy` command that rewrites `file`, when it is one sbx knows. */
function resetCommand(file: string): string | undefined {
  if (file === defaultProxyConfigPath()) return 'sbx network proxy --default --reset';
  if (basename(file) === 'proxy-config.json' && dirname(dirname(file)) === sandboxesDir()) {
    return `sbx network proxy ${basename(dirname(file))} --reset`;
  }
  return undefined;
}

/** How to get out of a bad file: the `network proxy --reset` that rewrites it, when we know one. */
export function resetHint(file: string): string {
  const command = resetCommand(file);
  return command
    ? `fix the file, or reset it with "${command}"`
    : 'fix the file, or replace it with a valid one';
}

/** The error for a config file that does not exist, with the command that creates it. */
export function missingError(file: string): ConfigError {
  const command = resetCommand(file);
  const hint = command ? `; create it with "${command}"` : '';
  return new ConfigError('SBX_CONFIG_NOT_FOUND', `${file} does not exist${hint}`, { file });
}

/** The error for a file that failed {@link analyseProxyConfig}: file, line:column, field, remedy. */
export function fileError(
  file: string,
  text: string,
  analysis: Analysis & { ok: false },
): ConfigError {
  const hint = resetHint(file);
  if (analysis.syntax) {
    const at = analysis.position ? `:${analysis.position.line}:${analysis.position.column}` : '';
    const issue = `invalid JSON: ${analysis.reason}`;
    return new ConfigError('SBX_CONFIG_SYNTAX', `${file}${at}: ${issue}; ${hint}`, {
      file,
      issues: [`${file}${at}: ${issue}`],
    });
  }
  const issues = analysis.issues.map((issue) => {
    const at = issue.path.length > 0 ? locate(text, issue.path) : undefined;
    return `${file}${at ? `:${at.line}:${at.column}` : ''}: ${formatIssue(issue)}`;
  });
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return new ConfigError('SBX_CONFIG_INVALID', `${issues[0]}${more}; ${hint}`, { file, issues });
}
