import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built `sbx` executable (package.json's bin); tests run it the way a user does. */
export const SBX_BIN = fileURLToPath(new URL('../dist/sbx.cjs', import.meta.url));

export interface SbxResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `sbx ARGS…` with the given environment additions and collects its output. */
export function runSbx(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string; bin?: string[] } = {},
): Promise<SbxResult> {
  const command = options.bin ?? [process.execPath, SBX_BIN];
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, [...command.slice(1), ...args], {
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
