#!/usr/bin/env node
import { parseExecFast } from './commands/exec-args.ts';

// `sbx exec` in its plain form skips yargs (a large part of start-up): the fast parser accepts
// only unambiguous input, and everything else (help, errors, other commands) goes through main.
const args = process.argv.slice(2);
const fast = args[0] === 'exec' ? parseExecFast(args.slice(1)) : undefined;
if (fast) {
  const { runFastExec } = await import('./fast-exec.ts');
  process.exitCode = await runFastExec(fast);
} else {
  const { main } = await import('./main.ts');
  process.exitCode = await main(args);
}
