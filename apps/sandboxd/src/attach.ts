import { createNamespaceDriver } from '@sbx/vm';
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
 * (128 + signal number when a signal ended it).
 */
export async function execInSandbox(
  sandbox: SandboxView,
  request: ExecRequest,
  options: AttachOptions = {},
): Promise<{ exitCode: number; stdout: string }> {
  const env: Record<string, string> = {};
  for (const name of sandbox.credentialEnv) env[name] = PLACEHOLDER;
  const inherit = !options.capture && (options.interactive === true || request.tty === true);
  const child = await createNamespaceDriver().exec(sandbox.dir, {
    ...request,
    env: { ...env, ...request.env },
    stdio: inherit ? 'inherit' : 'pipe',
  });
  let stdout = '';
  if (!inherit) {
    if (options.interactive) process.stdin.pipe(child.stdin!);
    else child.stdin?.end();
    if (options.capture) child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    else child.stdout?.pipe(process.stdout, { end: false });
    child.stderr?.pipe(process.stderr, { end: false });
  }
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
    return { exitCode, stdout };
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
    if (options.interactive && !inherit) process.stdin.unpipe(child.stdin!);
  }
}

function drained(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => {
    if ((stream as { readableEnded?: boolean }).readableEnded) resolve();
    else stream.once('end', () => resolve()).once('close', () => resolve());
  });
}
