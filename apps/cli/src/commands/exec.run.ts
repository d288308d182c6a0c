import { execInSandbox } from '@sbx/sandboxd/client';
import { withDaemon } from '../sandbox/daemon-client.ts';
import { parseEnvFlags } from '../sandbox/env.ts';
import { startSandbox } from '../sandbox/start.ts';
import type { ParsedExec } from './exec-args.ts';

/**
 * Runs a parsed `sbx exec` and resolves to its exit code. Loads no argument parser, config or
 * policy code: `sbx exec` on a running sandbox is one daemon request and one bwrap.
 */
export async function runExec({ options, sandbox: name, cmd }: ParsedExec): Promise<number> {
  const env = parseEnvFlags(options.env, options.envFile);
  return withDaemon(async (client) => {
    let sandbox = await client.inspect(name);
    if (sandbox.status !== 'running') sandbox = await startSandbox(client, sandbox);
    const request = { cmd, env, user: options.user, workdir: options.workdir, tty: options.tty };
    if (options.detach) {
      await client.execDetached(name, request);
      return 0;
    }
    const result = await execInSandbox(sandbox, request, { interactive: options.interactive });
    return result.exitCode;
  });
}
