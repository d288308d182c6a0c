/** The one error class of @sbx/proxy: a stable `code` (`SBX_PROXY_…`) and the original `cause`. */
export class ProxyError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'ProxyError';
    this.code = code;
  }
}
