// The lean entry (`@sbx/vm/exec`) for processes that only join running sandboxes (`sbx exec`):
// it loads none of the driver's start, bridge or layer code.
export type { VmErrorCode } from './errors.ts';
export { VmError } from './errors.ts';
export { execRunning } from './namespace/join.ts';
export type { ExecOptions, ExitStatus, SandboxProcess, StdioMode } from './types.ts';
