import { isatty } from 'node:tty';
import { execRunning, type StdioMode } from '@sbx/vm/exec';
import { PLACEHOLDER } from './agents.ts';
import type { SandboxView } from './manager.ts';
import type { ExecRequest } from './runtime.ts';

export interface AttachOptions {
  /** Pass this process's stdin (`-i`); otherwise the command reads an empty stdin. */
  interactive?: boolean;
  /** Collect stdout instead of passing it through (checks, tests). */
  capture?: boolean;
}

/**
 * Runs a command in a running sandbox from this process, so it gets this process's terminal,
 * stdio and signals (sandboxd only keeps the sandbox alive). Resolves to its exit code
 * (128 + signal number when a signal ended it). Throws SBX_VM_NOT_RUNNING, before running
 * anything, when the sandbox or the sandboxd that owns it is gone.
 */
export async function execInSandbox(
  sandbox: Pick<SandboxView, 'dir' | 'credentialEnv'>,
  request: ExecRequest,
  options: AttachOptions = {},
): Promise<{ exitCode: number; stdout: string }> {
  const env: Record<string, string> = {};
  for (const name of sandbox.credentialEnv) env[name] = PLACEHOLDER;
  const stdio = streams(request, options);
  const child = await execRunning(sandbox.dir, {
    ...request,
    env: { ...env, ...request.env },
    stdio,
  });
  let stdout = '';
  if (options.capture) child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  else child.stdout?.pipe(process.stdout, { end: false });
  child.stderr?.pipe(process.stderr, { end: false });
  const ignore = () => {};
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  // With a tty the command owns the terminal and gets Ctrl-C from it; without one (`-i` or
  // piped) it runs in a session of its own, so the terminal's signals reach only this process.
  const handlers: [NodeJS.Signals, () => void][] = [
    ['SIGINT', request.tty ? ignore : forward('SIGINT')],
    ['SIGQUIT', ignore],
    ['SIGTERM', forward('SIGTERM')],
    ['SIGHUP', forward('SIGHUP')],
  ];
  for (const [signal, handler] of handlers) process.on(signal, handler);
  try {
    const { exitCode } = await child.exited;
    if (child.stdout && !options.capture) await drained(child.stdout);
    if (child.stderr) await drained(child.stderr);
    return { exitCode, stdout };
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}

/**
 * A tty or `-i` gets the caller's streams as they are. Otherwise stdin is empty, and output
 * goes straight to this process's stdout/stderr unless that is a terminal (no terminal of
 * the caller's reaches a command that was not given one) or is being captured.
 */
function streams(request: ExecRequest, options: AttachOptions): [StdioMode, StdioMode, StdioMode] {
  const out = (fd: number): StdioMode => (isatty(fd) ? 'pipe' : 'inherit');
  if (options.capture) return ['ignore', 'pipe', out(2)];
  if (request.tty || options.interactive) return ['inherit', 'inherit', 'inherit'];
  return ['ignore', out(1), out(2)];
}

function drained(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => {
    if ((stream as { readableEnded?: boolean }).readableEnded) resolve();
    else stream.once('end', () => resolve()).once('close', () => resolve());
  });
}
