import { runExec } from './commands/exec.run.ts';
import type { ParsedExec } from './commands/exec-args.ts';
import { formatError } from './errors.ts';

/** Runs an `sbx exec` the fast parser accepted, reporting errors exactly as `main` does. */
export async function runFastExec(parsed: ParsedExec, scriptName = 'sbx'): Promise<number> {
  try {
    return await runExec(parsed);
  } catch (error) {
    const { text, exitCode } = formatError(error, scriptName);
    process.stderr.write(`${text}\n`);
    return exitCode;
  }
}
