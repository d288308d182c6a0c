import type { AgentCredential } from './agents.ts';
import type { Workspace } from './metadata.ts';

/** A command to run in a sandbox, as `sbx exec` gives it. */
export interface ExecRequest {
  cmd: string[];
  env?: Record<string, string>;
  user?: string;
  workdir?: string;
  tty?: boolean;
}

/** What the runtime needs to start one sandbox. */
export interface StartSpec {
  name: string;
  dir: string;
  template: string;
  /** Take the template from the local Docker Engine (`--load-local-template`). */
  templateLocal: boolean;
  workspaces: Workspace[];
  /** Extra environment inside the sandbox (credential placeholders). */
  env: Record<string, string>;
  proxyConfigPath: string;
  proxySocket: string;
  /** Where the host template's shared directory trees live (the driver's `hostDirsCache`). */
  hostDirsCache: string;
  /** The agent's credential rules; proxy-config.json may add more. */
  agentCredentials: AgentCredential[];
  /** The secret value for a credential variable, from sandboxd's memory only. */
  secret: (env: string) => string | undefined;
  /** Each proxy request or tunnel, for the request log. */
  onEvent: (event: object) => void;
  /** Called once if the sandbox ends without `stop()` (its init died, the proxy failed). */
  onExit: (reason: string) => void;
  /** Daemon log, for non-fatal trouble (an invalid policy edit kept the last good one). */
  log: (message: string) => void;
}

export interface RunningSandbox {
  /** The image digest resolved by this start; null for the host template or when unchanged. */
  readonly digest: string | null;
  execDetached(request: ExecRequest): Promise<{ pid: number }>;
  /** Tells the proxy that the secret values changed (a new `run` or `start`). */
  secretsChanged(): void;
  stop(): Promise<void>;
}

/** The part of sandboxd that turns a sandbox's files into running namespaces and a proxy. */
export interface SandboxRuntime {
  start(spec: StartSpec): Promise<RunningSandbox>;
  /** Deletes what the runtime keeps for a stopped sandbox (its writable layer). */
  remove(name: string, dir: string): Promise<void>;
  /** Deletes the shared host-template trees (`hostDirsCache`), once no sandbox runs. */
  removeHostDirs?(cache: string): Promise<void>;
}
