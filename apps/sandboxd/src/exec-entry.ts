// The leanest entry (`@sbx/sandboxd/exec`): `sbx exec` on a running sandbox loads only this,
// the driver's join code and no HTTP client.
export type { AttachOptions } from './attach.ts';
export { execInSandbox } from './attach.ts';
export { execIfRunning } from './local-exec.ts';
export type { ExecRequest } from './runtime.ts';
