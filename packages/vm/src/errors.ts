export type VmErrorCode =
  | 'SBX_VM_INVALID'
  | 'SBX_VM_PREFLIGHT'
  | 'SBX_VM_NOT_FOUND'
  | 'SBX_VM_EXISTS'
  | 'SBX_VM_NOT_RUNNING'
  | 'SBX_VM_START_FAILED'
  | 'SBX_VM_EXEC_FAILED';

/** The one error class of @sbx/vm, with a stable `code` callers can branch on. */
export class VmError extends Error {
  override readonly name = 'VmError';
  readonly code: VmErrorCode;

  constructor(code: VmErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}
