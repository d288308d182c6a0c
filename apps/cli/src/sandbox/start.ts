import {
  execInSandbox,
  getAgent,
  type SandboxdClient,
  type SandboxView,
} from '@sbx/sandboxd/client';
import { CliError } from '../errors.ts';
import { collectSecrets } from './env.ts';

/**
 * Starts a sandbox (a running one just takes the fresh secrets). The credential values come
 * from this process's environment now, so a changed key needs no daemon restart.
 */
export function startSandbox(client: SandboxdClient, sandbox: SandboxView): Promise<SandboxView> {
  return client.start(sandbox.name, collectSecrets(sandbox.credentialEnv));
}

/** Fails with what to do when the agent's program is missing from the sandbox. */
export async function checkAgentBinary(
  sandbox: SandboxView,
  env: Record<string, string> = {},
): Promise<void> {
  const binary = getAgent(sandbox.agent).binary;
  const { exitCode } = await execInSandbox(
    sandbox,
    { cmd: ['sh', '-c', 'command -v "$1"', 'sh', binary], env },
    { capture: true },
  );
  if (exitCode === 0) return;
  throw new CliError(
    `agent binary "${binary}" not found in sandbox: sandbox "${sandbox.name}" uses template "${sandbox.template.ref}", which does not provide it; ` +
      `install it inside ('sbx exec -it ${sandbox.name} sh') or create the sandbox from a template that has it ('sbx run ${sandbox.agent} --template IMAGE')`,
    { code: 'SBX_AGENT_NOT_FOUND' },
  );
}
