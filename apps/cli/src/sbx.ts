#!/usr/bin/env node
// The `sbx` executable, a CommonJS bundle: an agent harness runs `sbx exec SANDBOX CMD` per
// command, and a CommonJS entry with the join code bundled in starts measurably faster than
// the ES module CLI (see bench/). A running sandbox is joined from here; everything else —
// other commands, help, errors, a sandbox sandboxd must start first — runs the ES module
// CLI (bin.js), which parses the arguments again.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execIfRunning } from '@sbx/sandboxd/exec';
import { parseExecFast } from './commands/exec-args.ts';
import { execRequest } from './commands/exec-request.ts';
import { formatError } from './errors.ts';

async function joinRunning(args: readonly string[]): Promise<number | undefined> {
  const parsed = args[0] === 'exec' ? parseExecFast(args.slice(1)) : undefined;
  if (!parsed || parsed.options.detach) return undefined;
  const attach = { interactive: parsed.options.interactive };
  const result = await execIfRunning(parsed.sandbox, execRequest(parsed), attach);
  return result?.exitCode;
}

joinRunning(process.argv.slice(2)).then(
  async (exitCode) => {
    if (exitCode !== undefined) process.exitCode = exitCode;
    else await import(pathToFileURL(join(__dirname, 'bin.js')).href);
  },
  (error: unknown) => {
    const { text, exitCode } = formatError(error, 'sbx');
    process.stderr.write(`${text}\n`);
    process.exitCode = exitCode;
  },
);
