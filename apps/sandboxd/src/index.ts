export type { Agent, AgentCredential } from './agents.ts';
export { AGENT_NAMES, getAgent, isAgent, PLACEHOLDER } from './agents.ts';
export type { AttachOptions } from './attach.ts';
export { execInSandbox } from './attach.ts';
export type { NetworkEvent } from './client.ts';
export { SandboxdClient } from './client.ts';
export type { Daemon, DaemonOptions } from './daemon.ts';
export { startDaemon } from './daemon.ts';
export type { SandboxdErrorCode } from './errors.ts';
export { SandboxdError } from './errors.ts';
export type { DaemonStatus } from './launch.ts';
export {
  connectDaemon,
  daemonEnv,
  daemonStatus,
  startDaemonProcess,
  stopDaemon,
} from './launch.ts';
export type { CreateRequest, SandboxView } from './manager.ts';
export type { SandboxMetadata, SandboxStatus, Workspace } from './metadata.ts';
export type { DaemonPaths } from './paths.ts';
export { daemonPaths } from './paths.ts';
export type { ExecRequest } from './runtime.ts';
