import {
  execInSandbox,
  getAgent,
  isAgent,
  type SandboxdClient,
  type SandboxView,
} from '@sbx/sandboxd/client';
import { CliError } from '../errors.ts';
import { withDaemon } from '../sandbox/daemon-client.ts';
import { parseEnvFlags } from '../sandbox/env.ts';
import { checkAgentBinary, startSandbox } from '../sandbox/start.ts';
import { parseWorkspace } from '../sandbox/workspaces.ts';
import type { RunArgs } from './run.ts';

export async function run(argv: RunArgs): Promise<void> {
  const env = parseEnvFlags(argv.env, argv.envFile);
  const agentArgs = (argv['--'] ?? []).map(String);
  const code = await withDaemon(async (client) => {
    const sandbox = await startSandbox(client, await resolveSandbox(client, argv));
    if (argv.detach) {
      process.stdout.write(`${sandbox.name}\n`);
      return 0;
    }
    await checkAgentBinary(sandbox, env);
    const agent = getAgent(sandbox.agent);
    const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
    const request = { cmd: [agent.binary, ...agent.args, ...agentArgs], env, tty };
    return (await execInSandbox(sandbox, request, { interactive: true })).exitCode;
  });
  process.exitCode = code;
}

async function resolveSandbox(client: SandboxdClient, argv: RunArgs): Promise<SandboxView> {
  if (isAgent(argv.target)) {
    const workspaces = [argv.workspace ?? '.', ...(argv.extra ?? [])].map((w) => parseWorkspace(w));
    const { sandbox } = await client.create({
      agent: argv.target,
      workspaces,
      name: argv.name,
      template: argv.template,
      loadLocalTemplate: argv.loadLocalTemplate || undefined,
      reuse: true,
    });
    return sandbox;
  }
  if (argv.workspace !== undefined) {
    throw new CliError(
      `unknown agent "${argv.target}": use claude, codex, gemini, cagent, kiro or shell, or run an existing sandbox with 'sbx run SANDBOX'`,
      { code: 'SBX_UNKNOWN_AGENT' },
    );
  }
  return client.inspect(argv.target).catch((error) => {
    if (error.code !== 'SBX_SANDBOXD_NOT_FOUND') throw error;
    throw new CliError(
      `"${argv.target}" is neither an agent (claude, codex, gemini, cagent, kiro, shell) nor a sandbox: 'sbx ls' lists the sandboxes`,
      { code: 'SBX_SANDBOX_NOT_FOUND' },
    );
  });
}
