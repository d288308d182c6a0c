#!/usr/bin/env node
import { parseExecFast } from './commands/exec-args.ts';
import { parseRunFast } from './commands/run-args.ts';
import type { FastCommand } from './fast.ts';

// `sbx exec` and `sbx run` in their plain forms skip yargs (a large part of start-up): the fast
// parsers accept only unambiguous input; everything else (help, errors, other commands) goes
// through main.
const args = process.argv.slice(2);
const exec = args[0] === 'exec' ? parseExecFast(args.slice(1)) : undefined;
const run = args[0] === 'run' ? parseRunFast(args.slice(1)) : undefined;
const fast: FastCommand | undefined = exec ? { exec } : run ? { run } : undefined;
if (fast) {
  const { runFast } = await import('./fast.ts');
  process.exitCode = await runFast(fast);
} else {
  const { main } = await import('./main.ts');
  process.exitCode = await main(args);
}
