export type PolicyErrorCode = 'SBX_POLICY_INVALID' | 'SBX_POLICY_INVALID_HOST';

/** The one error class of @sbx/policy. `issues` lists every bad entry (`allowHosts[2]: …`). */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  readonly code: PolicyErrorCode;
  readonly issues: readonly string[];

  constructor(
    code: PolicyErrorCode,
    message: string,
    issues: readonly string[],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.code = code;
    this.issues = issues;
  }
}
