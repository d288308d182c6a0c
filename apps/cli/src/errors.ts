/** Errors the CLI reports in one line: a user mistake or a known failure, never a bug. */
export class CliError extends Error {
  readonly code: string;
  readonly exitCode: number;

  constructor(
    message: string,
    options: { code?: string; exitCode?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'CliError';
    this.code = options.code ?? 'SBX_CLI_ERROR';
    this.exitCode = options.exitCode ?? 1;
  }
}

/** Exit codes, documented in the README: 0 ok, 1 failed, 2 bad usage, 130 interrupted. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/**
 * A known error is one of ours (a stable `SBX_…` code from any sbx package): it is printed as
 * one line. Anything else is a bug and gets its stack and a request to report it.
 */
export function isKnownError(error: unknown): error is Error & { code: string } {
  if (!(error instanceof Error)) return false;
  const code: unknown = (error as Error & { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SBX_');
}

export function formatError(
  error: unknown,
  scriptName: string,
): { text: string; exitCode: number } {
  if (isKnownError(error)) {
    const exitCode = error instanceof CliError ? error.exitCode : EXIT.failed;
    return { text: `${scriptName}: ${error.message}`, exitCode };
  }
  const stack = error instanceof Error ? (error.stack ?? String(error)) : String(error);
  return {
    text: `${scriptName}: unexpected error (this is a bug in sbx; please report it with the text below)\n${stack}`,
    exitCode: EXIT.failed,
  };
}
