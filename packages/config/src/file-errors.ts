import { basename, dirname } from 'node:path';
import { ConfigError } from './errors.ts';
import { formatIssue } from './issues.ts';
import { locate } from './json-text.ts';
import type { Analysis } from './parse.ts';
import { defaultProxyConfigPath, sandboxesDir } from './paths.ts';

/** How to get out of a bad file: the `network proxy --reset` that rewrites it, when we know one. */
export function resetHint(file: string): string {
  if (file === defaultProxyConfigPath()) {
    return 'fix the file, or reset it with "sbx network proxy --default --reset"';
  }
  if (basename(file) === 'proxy-config.json' && dirname(dirname(file)) === sandboxesDir()) {
    return `fix the file, or reset it with "sbx network proxy ${basename(dirname(file))} --reset"`;
  }
  return 'fix the file, or replace it with a valid one';
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
