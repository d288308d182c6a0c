/** Stable error codes of sandboxd; the CLI and API clients switch on these, never on messages. */
export type SandboxdErrorCode =
  | 'SBX_SANDBOXD_NOT_FOUND'
  | 'SBX_SANDBOXD_EXISTS'
  | 'SBX_SANDBOXD_INVALID'
  | 'SBX_SANDBOXD_UNKNOWN_AGENT'
  | 'SBX_SANDBOXD_ALREADY_RUNNING'
  | 'SBX_SANDBOXD_NOT_RUNNING'
  | 'SBX_SANDBOXD_START_FAILED'
  | 'SBX_SANDBOXD_UNAVAILABLE'
  | 'SBX_SANDBOXD_CORRUPT'
  | 'SBX_SANDBOXD_INTERNAL';

const HTTP_STATUS: Record<SandboxdErrorCode, number> = {
  SBX_SANDBOXD_NOT_FOUND: 404,
  SBX_SANDBOXD_EXISTS: 409,
  SBX_SANDBOXD_INVALID: 400,
  SBX_SANDBOXD_UNKNOWN_AGENT: 400,
  SBX_SANDBOXD_ALREADY_RUNNING: 409,
  SBX_SANDBOXD_NOT_RUNNING: 409,
  SBX_SANDBOXD_START_FAILED: 500,
  SBX_SANDBOXD_UNAVAILABLE: 503,
  SBX_SANDBOXD_CORRUPT: 500,
  SBX_SANDBOXD_INTERNAL: 500,
};

/** The one error class of sandboxd: a stable `code`, a lowercase message, an optional `cause`. */
export class SandboxdError extends Error {
  override readonly name = 'SandboxdError';
  readonly code: SandboxdErrorCode;

  constructor(code: SandboxdErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** The HTTP status the API answers this error with. */
  get status(): number {
    return HTTP_STATUS[this.code];
  }
}

export function isSandboxdErrorCode(value: unknown): value is SandboxdErrorCode {
  return typeof value === 'string' && value in HTTP_STATUS;
}
