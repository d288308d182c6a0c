import { EventEmitter } from 'node:events';
import { stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { type AgentCredential, getAgent, placeholderEnv } from './agents.ts';
import { credentialEnvNames } from './credential-env.ts';
import { SandboxdError } from './errors.ts';
import {
  listSandboxDirs,
  readMetadata,
  type SandboxMetadata,
  type Workspace,
  writeMetadata,
} from './metadata.ts';
import { assertSandboxName, defaultSandboxName, uniqueName } from './names.ts';
import { type DaemonPaths, sandboxFiles } from './paths.ts';
import { readCredentialRules } from './proxy-config.ts';
import { removeSandboxDir } from './remove.ts';
import { RequestLog, readRequestLog } from './request-log.ts';
import type { ExecRequest, RunningSandbox, SandboxRuntime } from './runtime.ts';
import { SecretStore } from './secrets.ts';

/** A sandbox as the API shows it: its metadata plus what clients need to drive it. */
export interface SandboxView extends SandboxMetadata {
  dir: string;
  /** Variables whose values the client passes at `start` (the agent's and proxy-config's). */
  credentialEnv: string[];
}

export interface CreateRequest {
  agent: string;
  workspaces: Workspace[];
  name?: string;
  template?: string;
  /** Take the template image from the local Docker Engine rather than a registry. */
  loadLocalTemplate?: boolean;
  /** Return the sandbox of the same agent and main workspace when one exists (`sbx run`). */
  reuse?: boolean;
}

/** Owns every sandbox of this user: metadata, running namespaces, proxies, secrets and logs. */
export class SandboxManager {
  readonly paths: DaemonPaths;
  readonly events = new EventEmitter();
  readonly #runtime: SandboxRuntime;
  readonly #log: (message: string) => void;
  readonly #running = new Map<string, RunningSandbox>();
  readonly #requestLogs = new Map<string, RequestLog>();
  readonly #secrets = new SecretStore();
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(paths: DaemonPaths, runtime: SandboxRuntime, log: (message: string) => void) {
    this.paths = paths;
    this.#runtime = runtime;
    this.#log = log;
    this.events.setMaxListeners(0);
  }

  /** After a daemon restart nothing runs: every sandbox marked running is marked stopped. */
  async recover(): Promise<void> {
    for (const name of await listSandboxDirs(this.paths)) {
      try {
        const meta = await readMetadata(this.paths, name);
        if (meta?.status === 'running') {
          await writeMetadata(this.paths, { ...meta, status: 'stopped' });
          this.#log(`sandbox ${name}: was running when sandboxd ended, now stopped`);
        }
      } catch (error) {
        this.#log(`sandbox ${name}: ${(error as Error).message}`);
      }
    }
  }

  async list(): Promise<SandboxView[]> {
    const out: SandboxView[] = [];
    for (const name of await listSandboxDirs(this.paths)) {
      const meta = await readMetadata(this.paths, name).catch(() => undefined);
      if (meta) out.push(await this.#view(meta));
    }
    return out;
  }

  async inspect(name: string): Promise<SandboxView> {
    return this.#view(await this.#require(name));
  }

  /** Creates a sandbox's directory and metadata (stopped); names it `<agent>-<dir>` by default. */
  async create(request: CreateRequest): Promise<{ sandbox: SandboxView; created: boolean }> {
    const agent = getAgent(request.agent);
    if (request.name !== undefined) assertSandboxName(request.name);
    const workspaces = await checkWorkspaces(request.workspaces, this.paths);
    return this.#withLock('\0names', async () => {
      const existing = await this.list();
      if (request.reuse && request.name === undefined) {
        const same = existing.find(
          (s) =>
            s.agent === agent.name &&
            s.workspaces[0]?.path === workspaces[0]!.path &&
            (request.template === undefined || s.template.ref === request.template),
        );
        if (same) return { sandbox: same, created: false };
      }
      const taken = new Set(await listSandboxDirs(this.paths));
      let name: string;
      if (request.name !== undefined) {
        if (taken.has(request.name)) {
          const found = existing.find((s) => s.name === request.name);
          if (request.reuse && found?.agent === agent.name)
            return { sandbox: found, created: false };
          throw new SandboxdError(
            'SBX_SANDBOXD_EXISTS',
            `a sandbox named "${request.name}" already exists: choose another --name or remove it with 'sbx rm ${request.name}'`,
          );
        }
        name = request.name;
      } else {
        name = uniqueName(defaultSandboxName(agent.name, workspaces[0]!.path), taken);
      }
      const meta: SandboxMetadata = {
        version: 1,
        name,
        agent: agent.name,
        template: {
          ref: request.template ?? agent.defaultTemplate,
          digest: null,
          ...(request.loadLocalTemplate === true ? { local: true } : {}),
        },
        workspaces,
        created: new Date().toISOString(),
        status: 'stopped',
      };
      await writeMetadata(this.paths, meta);
      this.#log(`sandbox ${name}: created (agent ${agent.name}, template ${meta.template.ref})`);
      return { sandbox: await this.#view(meta), created: true };
    });
  }

  /** Starts a sandbox (or refreshes its secrets when it runs already). */
  async start(name: string, secrets: Record<string, string> = {}): Promise<SandboxView> {
    return this.#withLock(name, async () => {
      const meta = await this.#require(name);
      this.#secrets.set(name, secrets);
      const current = this.#running.get(name);
      if (current) {
        current.secretsChanged();
        return this.#view(meta);
      }
      const files = sandboxFiles(this.paths, name);
      const agent = getAgent(meta.agent);
      const log = this.#requestLog(name);
      let credentials: AgentCredential[] = agent.credentials;
      let running: RunningSandbox | undefined;
      try {
        credentials = [...agent.credentials, ...(await readCredentialRules(files.proxyConfig))];
        running = await this.#runtime.start({
          name,
          dir: files.dir,
          template: meta.template.ref,
          templateLocal: meta.template.local === true,
          workspaces: meta.workspaces,
          env: placeholderEnv(credentials),
          proxyConfigPath: files.proxyConfig,
          proxySocket: files.proxySocket,
          hostDirsCache: this.paths.hostDirs,
          agentCredentials: agent.credentials,
          secret: (env) => this.#secrets.lookup(name, env, credentials),
          onEvent: (event) => {
            log.append(event).catch((error) => this.#log(`sandbox ${name}: log: ${error.message}`));
            this.events.emit('event', event);
          },
          onExit: (reason) => this.#exited(name, reason),
          log: (message) => this.#log(`sandbox ${name}: ${message}`),
        });
      } catch (error) {
        this.#secrets.delete(name);
        if (error instanceof SandboxdError) throw error;
        throw new SandboxdError(
          'SBX_SANDBOXD_START_FAILED',
          `sandbox "${name}" failed to start: ${(error as Error).message}`,
          { cause: error },
        );
      }
      this.#running.set(name, running);
      const updated: SandboxMetadata = {
        ...meta,
        template: { ...meta.template, digest: running.digest ?? meta.template.digest },
        status: 'running',
      };
      await writeMetadata(this.paths, updated);
      this.#log(`sandbox ${name}: started`);
      return this.#view(updated);
    });
  }

  async stop(name: string): Promise<SandboxView> {
    return this.#withLock(name, async () => {
      const meta = await this.#require(name);
      await this.#stopRunning(name);
      const updated: SandboxMetadata = { ...meta, status: 'stopped' };
      if (meta.status !== 'stopped') await writeMetadata(this.paths, updated);
      return this.#view(updated);
    });
  }

  /** Stops and deletes a sandbox; its workspaces are the user's and stay untouched. */
  async remove(name: string): Promise<void> {
    await this.#withLock(name, async () => {
      await this.#require(name);
      await this.#stopRunning(name);
      const files = sandboxFiles(this.paths, name);
      await this.#runtime.remove(name, files.dir);
      await removeSandboxDir(files.dir);
      this.#requestLogs.delete(name);
      this.#log(`sandbox ${name}: removed`);
    });
  }

  async execDetached(name: string, request: ExecRequest): Promise<{ pid: number }> {
    return this.#runningOrThrow(name).execDetached(request);
  }

  /** The last `limit` request log events of one sandbox or of all, oldest first. */
  async networkLog(name: string | undefined, limit: number): Promise<unknown[]> {
    const names = name === undefined ? await listSandboxDirs(this.paths) : [name];
    if (name !== undefined) await this.#require(name);
    const all: unknown[] = [];
    for (const n of names) {
      await this.#requestLogs.get(n)?.flush();
      all.push(...(await readRequestLog(sandboxFiles(this.paths, n).requestLog, limit)));
    }
    all.sort((a, b) =>
      String((a as { ts?: string }).ts).localeCompare(String((b as { ts?: string }).ts)),
    );
    return all.slice(Math.max(0, all.length - limit));
  }

  /** Stops and removes every sandbox, and then the host template's shared trees. */
  async reset(): Promise<string[]> {
    const names = await listSandboxDirs(this.paths);
    for (const name of names) {
      await this.#withLock(name, async () => {
        await this.#stopRunning(name);
        const files = sandboxFiles(this.paths, name);
        await this.#runtime.remove(name, files.dir);
        await removeSandboxDir(files.dir);
        this.#requestLogs.delete(name);
      });
    }
    await this.#runtime.removeHostDirs?.(this.paths.hostDirs);
    return names;
  }

  /** Stops every running sandbox, for daemon shutdown; one failing does not stop the others. */
  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.#running.keys()].map((name) =>
        this.stop(name).catch((error) => this.#log(`sandbox ${name}: stop: ${error.message}`)),
      ),
    );
  }

  #runningOrThrow(name: string): RunningSandbox {
    const running = this.#running.get(name);
    if (!running) {
      throw new SandboxdError(
        'SBX_SANDBOXD_NOT_RUNNING',
        `sandbox "${name}" is not running: start it with 'sbx run ${name}'`,
      );
    }
    return running;
  }

  async #stopRunning(name: string): Promise<void> {
    const running = this.#running.get(name);
    this.#running.delete(name);
    this.#secrets.delete(name);
    if (running) {
      await running.stop();
      this.#log(`sandbox ${name}: stopped`);
    }
    await this.#requestLogs.get(name)?.flush();
  }

  #exited(name: string, reason: string): void {
    this.#log(`sandbox ${name}: ended: ${reason}`);
    void this.#withLock(name, async () => {
      if (!this.#running.has(name)) return;
      await this.#stopRunning(name);
      const meta = await readMetadata(this.paths, name);
      if (meta) await writeMetadata(this.paths, { ...meta, status: 'stopped' });
    }).catch((error) => this.#log(`sandbox ${name}: ${error.message}`));
  }

  #requestLog(name: string): RequestLog {
    let log = this.#requestLogs.get(name);
    if (!log) {
      log = new RequestLog(sandboxFiles(this.paths, name).requestLog);
      this.#requestLogs.set(name, log);
    }
    return log;
  }

  async #require(name: string): Promise<SandboxMetadata> {
    assertSandboxName(name);
    const meta = await readMetadata(this.paths, name);
    if (!meta) {
      throw new SandboxdError(
        'SBX_SANDBOXD_NOT_FOUND',
        `no sandbox named "${name}": 'sbx ls' lists the sandboxes`,
      );
    }
    return meta;
  }

  async #view(meta: SandboxMetadata): Promise<SandboxView> {
    const files = sandboxFiles(this.paths, meta.name);
    const extra = await readCredentialRules(files.proxyConfig).catch(() => []);
    const credentialEnv = credentialEnvNames(meta.agent, extra);
    const status = this.#running.has(meta.name) ? 'running' : meta.status;
    return { ...meta, status, dir: files.dir, credentialEnv };
  }

  async #withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(key) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(fn);
    this.#locks.set(key, next);
    try {
      return await next;
    } finally {
      if (this.#locks.get(key) === next) this.#locks.delete(key);
    }
  }
}

/**
 * Workspaces must be existing absolute directories, and never the machine's root or a
 * directory holding sbx's own state: a sandbox that could edit its proxy-config.json
 * could lift its own policy.
 */
async function checkWorkspaces(list: Workspace[], paths: DaemonPaths): Promise<Workspace[]> {
  if (!Array.isArray(list) || list.length === 0) {
    throw new SandboxdError('SBX_SANDBOXD_INVALID', 'a sandbox needs a workspace directory');
  }
  const seen = new Set<string>();
  const out: Workspace[] = [];
  for (const w of list) {
    if (typeof w?.path !== 'string' || !isAbsolute(w.path)) {
      throw new SandboxdError(
        'SBX_SANDBOXD_INVALID',
        `workspace "${w?.path}" must be an absolute path`,
      );
    }
    const path = resolve(w.path);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isDirectory()) {
      throw new SandboxdError(
        'SBX_SANDBOXD_INVALID',
        `workspace "${path}" is not a directory: create it or pass an existing one`,
      );
    }
    for (const state of [paths.home, paths.sandboxes]) {
      if (path === '/' || contains(path, state) || contains(state, path)) {
        throw new SandboxdError(
          'SBX_SANDBOXD_INVALID',
          `workspace "${path}" would expose sbx's own state (${state}) to the sandbox: choose a project directory`,
        );
      }
    }
    if (seen.has(path)) continue;
    seen.add(path);
    out.push({ path, readOnly: Boolean(w.readOnly) });
  }
  return out;
}

function contains(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || !(rel.startsWith('..') || isAbsolute(rel));
}
