import type { ParsedExec } from './commands/exec-args.ts';
import type { RunArgs } from './commands/run-args.ts';
import { formatError } from './errors.ts';

export type FastCommand = { exec: ParsedExec } | { run: RunArgs };

/** Runs an `exec` or `run` the fast parsers accepted, reporting errors exactly as `main` does. */
export async function runFast(command: FastCommand, scriptName = 'sbx'): Promise<number> {
  try {
    if ('exec' in command)
      return await (await import('./commands/exec.run.ts')).runExec(command.exec);
    await (await import('./commands/run.handler.ts')).run(command.run);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    const { text, exitCode } = formatError(error, scriptName);
    process.stderr.write(`${text}\n`);
    return exitCode;
  }
}
