/**
 * Stable codes of {@link ConfigError}, one per class of failure, so callers can branch on them.
 * - `SBX_CONFIG_SYNTAX`: the file is not valid JSON (the message names line and column).
 * - `SBX_CONFIG_INVALID`: valid JSON that breaks the schema or the policy rules (names the field).
 * - `SBX_CONFIG_NOT_FOUND`: the file does not exist.
 * - `SBX_CONFIG_BAD_NAME`: a sandbox name that cannot be a directory name.
 * - `SBX_CONFIG_LOCKED`: another live process held the lock for longer than the timeout.
 * - `SBX_CONFIG_IO`: reading or writing failed (permissions, disk full, …).
 */
export type ConfigErrorCode =
  | 'SBX_CONFIG_SYNTAX'
  | 'SBX_CONFIG_INVALID'
  | 'SBX_CONFIG_NOT_FOUND'
  | 'SBX_CONFIG_BAD_NAME'
  | 'SBX_CONFIG_LOCKED'
  | 'SBX_CONFIG_IO';

/** The one error class of @sbx/config. `issues` lists each problem as `field: reason`. */
export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  readonly file: string | undefined;
  readonly issues: string[];

  constructor(
    code: ConfigErrorCode,
    message: string,
    options: { file?: string; issues?: string[]; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'ConfigError';
    this.code = code;
    this.file = options.file;
    this.issues = options.issues ?? [];
  }
}
