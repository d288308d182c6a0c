/** Stable error codes of @sbx/templates; callers switch on these, never on messages. */
export type TemplateErrorCode =
  | 'SBX_TEMPLATES_INVALID_REFERENCE'
  | 'SBX_TEMPLATES_NOT_FOUND'
  | 'SBX_TEMPLATES_DIGEST_MISMATCH'
  | 'SBX_TEMPLATES_BLOB_MISSING'
  | 'SBX_TEMPLATES_INVALID_IMAGE'
  | 'SBX_TEMPLATES_UNSAFE_LAYER'
  | 'SBX_TEMPLATES_CORRUPT_LAYER'
  | 'SBX_TEMPLATES_UNSUPPORTED'
  | 'SBX_TEMPLATES_REGISTRY'
  | 'SBX_TEMPLATES_AUTH'
  | 'SBX_TEMPLATES_INSECURE'
  | 'SBX_TEMPLATES_DOCKER'
  | 'SBX_TEMPLATES_IN_USE';

/** The one error class of @sbx/templates: a stable `code`, a lowercase message, an optional `cause`. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  readonly code: TemplateErrorCode;

  constructor(code: TemplateErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
