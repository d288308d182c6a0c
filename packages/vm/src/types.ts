import type { Readable, Writable } from 'node:stream';

/** Where the sandbox's root filesystem comes from. */
export type TemplateSource =
  /** The host's own OS directories (`/usr`, `/etc`, `/opt`, the `/bin`-style links), read-only. */
  | { type: 'host' }
  /** An unpacked image directory (from @sbx/templates), shared read-only between sandboxes. */
  | { type: 'image'; rootfs: string; env?: Record<string, string> };

/** A host directory shown at the same absolute path inside the sandbox. */
export interface Workspace {
  path: string;
  readOnly?: boolean;
}

/** Everything `create` needs; persisted in the sandbox directory. */
export interface SandboxSpec {
  /** Sandbox name; also its hostname. `[a-zA-Z0-9][a-zA-Z0-9_.-]*`, at most 63 characters. */
  name: string;
  /** The sandbox's own state directory (sandboxd: `~/.docker/sandboxes/vm/<name>/`). */
  dir: string;
  template: TemplateSource;
  /** The first workspace is the default working directory. */
  workspaces: Workspace[];
  /** Image user the sandbox runs as (default: `agent` when the image has it, else root). */
  user?: string;
  /**
   * Extra environment for every exec (the image's own env comes from the template).
   * Persisted in the sandbox directory: placeholders only, never a real credential.
   */
  env?: Record<string, string>;
  /**
   * Only when sbx runs as root: the host ids the sandbox user acts as (e.g. the owner of the
   * workspace). Default: an id of the sandbox's unprivileged range. Never 0.
   */
  hostUser?: { uid: number; gid: number };
}

export interface StartOptions {
  /**
   * Unix socket of this sandbox's proxy. When set, `host.docker.internal:3128` inside the
   * sandbox reaches it, and HTTP(S)_PROXY point there.
   */
  proxySocket?: string;
  /** PEM of the sandbox CA, added to the image's trust store and named by SSL_CERT_FILE & co. */
  caCertPem?: string;
  /**
   * Host template: a directory for the host's OS directory trees (directories only, built
   * once and shared by the sandboxes whose root is the same host id), layered between the
   * host's read-only directories and the sandbox's writable layer so that the sandbox's root
   * may create files anywhere under /usr, /etc or /opt (they land in its writable layer).
   * Without it the host's directories stay unwritable even to the sandbox's root.
   */
  hostDirsCache?: string;
}

/** What one standard stream of an exec is connected to. */
export type StdioMode = 'inherit' | 'pipe' | 'ignore';

export interface ExecOptions {
  /** The program and its arguments, passed verbatim (no shell). */
  cmd: string[];
  /** Added to the sandbox environment (wins over it). */
  env?: Record<string, string>;
  /** A user name from the image's /etc/passwd, `root`, or a numeric `uid[:gid]`. */
  user?: string;
  /** Working directory inside (default: the first workspace). Needs /bin/sh in the sandbox. */
  workdir?: string;
  /**
   * Give the process its own pty (util-linux `script`), relayed to the caller's terminal
   * (`inherit`) or to the pipes. Without it the process has no controlling terminal.
   */
  tty?: boolean;
  /**
   * `inherit`: the caller's stdio; `pipe`: streams on the returned process. Default `pipe`.
   * Per stream as `[stdin, stdout, stderr]` (`ignore`: /dev/null).
   */
  stdio?: 'inherit' | 'pipe' | readonly [StdioMode, StdioMode, StdioMode];
  /** Run in the background: no stdio, not waited for; it still dies with the sandbox. */
  detach?: boolean;
}

export interface ExitStatus {
  /** The exit code, or 128 + signal number when killed by a signal. */
  exitCode: number;
  signal: NodeJS.Signals | null;
}

/** A process running inside a sandbox. */
export interface SandboxProcess {
  /** Host pid of the host-side process that waits for it (nsenter, or `script` with a tty). */
  readonly pid: number;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  readonly exited: Promise<ExitStatus>;
  kill(signal?: NodeJS.Signals): void;
}

export type SandboxStatus = 'running' | 'stopped';

export interface SandboxInfo {
  name: string;
  dir: string;
  driver: string;
  status: SandboxStatus;
  template: TemplateSource;
  workspaces: Workspace[];
  user: { name: string; uid: number; gid: number; home: string };
  /** Host uid/gid that the sandbox user's files belong to (the invoking user unless root). */
  hostUser: { uid: number; gid: number };
  /** Host pid of the sandbox's init (the target every exec joins), when running. */
  pid?: number;
  startedAt?: string;
  createdAt: string;
}

export interface PreflightProblem {
  check: string;
  message: string;
  /** The exact command that fixes it. */
  fix: string;
  /** Fatal problems stop sandboxes from starting; the others degrade a feature. */
  fatal: boolean;
}

export interface PreflightReport {
  ok: boolean;
  problems: PreflightProblem[];
}

/** A sandbox driver. Every call names the sandbox by its directory. */
export interface Driver {
  readonly name: string;
  /** What this machine lacks to run sandboxes, each with the command that fixes it. */
  preflight(): Promise<PreflightReport>;
  /** Records the sandbox in `spec.dir` and prepares its writable layer; does not start it. */
  create(spec: SandboxSpec): Promise<SandboxInfo>;
  /** Starts the sandbox's init; the sandbox lives as long as the calling process. */
  start(dir: string, options?: StartOptions): Promise<SandboxInfo>;
  /** Runs a command in the running sandbox's namespaces. */
  exec(dir: string, options: ExecOptions): Promise<SandboxProcess>;
  /** Kills every process of the sandbox; its filesystem stays. */
  stop(dir: string): Promise<void>;
  /** Stops the sandbox and deletes its directory (workspaces stay on the host). */
  remove(dir: string): Promise<void>;
  inspect(dir: string): Promise<SandboxInfo>;
}
