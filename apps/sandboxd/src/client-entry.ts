// The lean entry (`@sbx/sandboxd/client`) for CLI paths that only talk to a running daemon and
// attach to sandboxes: it loads neither the daemon nor config, policy or proxy.
export type { Agent, AgentCredential } from './agents.ts';
export { getAgent, isAgent, PLACEHOLDER } from './agents.ts';
export type { AttachOptions } from './attach.ts';
export { execInSandbox } from './attach.ts';
export { SandboxdClient } from './client.ts';
export { SandboxdError } from './errors.ts';
export { connectDaemon } from './launch.ts';
export type { SandboxView } from './manager.ts';
export type { ExecRequest } from './runtime.ts';
