export type { VmErrorCode } from './errors.ts';
export { VmError } from './errors.ts';
export { createNamespaceDriver, imageOwnerShift } from './namespace/driver.ts';
export { CA_BUNDLE, PROXY_URL } from './namespace/env.ts';
export { removeHostDirs } from './namespace/host-dirs.ts';
export type {
  Driver,
  ExecOptions,
  ExitStatus,
  PreflightProblem,
  PreflightReport,
  SandboxInfo,
  SandboxProcess,
  SandboxSpec,
  SandboxStatus,
  StartOptions,
  StdioMode,
  TemplateSource,
  Workspace,
} from './types.ts';
