import { readFileSync } from 'node:fs';
import type { AgentCredential } from './agents.ts';
import { type AttachOptions, execInSandbox } from './attach.ts';
import { credentialEnvNames, parseCredentialRules } from './credential-env.ts';
import { parseMetadata } from './metadata-schema.ts';
import { assertSandboxName } from './names.ts';
import { type DaemonPaths, daemonPaths, sandboxFiles } from './paths.ts';
import type { ExecRequest } from './runtime.ts';

/**
 * `sbx exec` without asking sandboxd: when the sandbox is running (its init and the sandboxd
 * that owns it both alive, checked by the driver against their start times), runs the command
 * from its files and resolves to the result. Resolves to undefined, having run nothing, when
 * sandboxd has to act first (a stopped or unknown sandbox, a daemon that died). Reads its
 * small files synchronously, so joining needs neither fs/promises nor libuv's thread pool.
 */
export async function execIfRunning(
  name: string,
  request: ExecRequest,
  options: AttachOptions = {},
  paths: DaemonPaths = daemonPaths(),
): Promise<{ exitCode: number; stdout: string } | undefined> {
  try {
    assertSandboxName(name);
    const files = sandboxFiles(paths, name);
    const meta = parseMetadata(readFileSync(files.metadata, 'utf8'), files.metadata);
    const credentialEnv = credentialEnvNames(meta.agent, credentialRules(files.proxyConfig));
    return await execInSandbox({ dir: files.dir, credentialEnv }, request, options);
  } catch (error) {
    // Anything sandboxd reports better (no such sandbox, a corrupt file) is left to it.
    const code: unknown = (error as { code?: unknown }).code;
    if (code === 'SBX_VM_NOT_RUNNING' || code === 'SBX_VM_NOT_FOUND' || code === 'ENOENT')
      return undefined;
    if (typeof code === 'string' && code.startsWith('SBX_SANDBOXD_')) return undefined;
    throw error;
  }
}

function credentialRules(file: string): AgentCredential[] {
  try {
    return parseCredentialRules(readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
}
