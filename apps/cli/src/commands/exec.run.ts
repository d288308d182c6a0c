import type { ParsedExec } from './exec-args.ts';
import { execRequest } from './exec-request.ts';

/**
 * Runs a parsed `sbx exec` and resolves to its exit code. On a running sandbox it joins the
 * sandbox straight from its files (no daemon request, no HTTP client loaded); sandboxd is
 * asked only to start a stopped sandbox (or one whose daemon died) and for `-d`.
 */
export async function runExec(parsed: ParsedExec): Promise<number> {
  const { options, sandbox: name } = parsed;
  const request = execRequest(parsed);
  const attach = { interactive: options.interactive };
  if (!options.detach) {
    const { execIfRunning } = await import('@sbx/sandboxd/exec');
    const result = await execIfRunning(name, request, attach);
    if (result) return result.exitCode;
  }
  const [{ withDaemon }, { startSandbox }, { execInSandbox }] = await Promise.all([
    import('../sandbox/daemon-client.ts'),
    import('../sandbox/start.ts'),
    import('@sbx/sandboxd/exec'),
  ]);
  return withDaemon(async (client) => {
    let sandbox = await client.inspect(name);
    if (sandbox.status !== 'running') sandbox = await startSandbox(client, sandbox);
    if (options.detach) {
      await client.execDetached(name, request);
      return 0;
    }
    return (await execInSandbox(sandbox, request, attach)).exitCode;
  });
}
