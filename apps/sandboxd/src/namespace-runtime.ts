import { existsSync } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createProxy, loadOrCreateCertificateAuthority, type ProxyServer } from '@sbx/proxy';
import { createNamespaceDriver, type Driver, removeHostDirs, type SandboxSpec } from '@sbx/vm';
import { openPolicySource, type PolicySource } from './policy-source.ts';
import { removeSandboxDir } from './remove.ts';
import type { RunningSandbox, SandboxRuntime, StartSpec } from './runtime.ts';
import { resolveTemplate } from './template-source.ts';

const WATCH_MS = 1000;

/**
 * The runtime on @sbx/vm's namespace driver: per sandbox a proxy on a unix socket in its
 * directory (its own CA, its policy file watched) and the namespaces bridged to it. Every
 * sandbox dies with this process (the driver's bwrap runs with --die-with-parent).
 */
export async function createNamespaceRuntime(
  options: { driver?: Driver; upstreamCa?: readonly string[] } = {},
): Promise<SandboxRuntime> {
  const driver = options.driver ?? createNamespaceDriver();
  return {
    start: (spec) => startSandbox(driver, spec, options.upstreamCa),
    async remove(_name, dir) {
      if (existsSync(join(dir, 'driver.json'))) await driver.remove(dir);
      await removeSandboxDir(dir);
    },
    removeHostDirs,
  };
}

async function startSandbox(
  driver: Driver,
  spec: StartSpec,
  upstreamCa: readonly string[] | undefined,
): Promise<RunningSandbox> {
  let digest: string | null = null;
  if (!existsSync(join(spec.dir, 'driver.json'))) {
    const template = await resolveTemplate(spec.template, spec.templateLocal, spec.log);
    digest = template.digest;
    const sandbox: SandboxSpec = {
      name: spec.name,
      dir: spec.dir,
      template: template.source,
      workspaces: spec.workspaces,
      env: spec.env,
      ...(await workspaceOwner(spec.workspaces[0]!.path)),
    };
    await driver.create(sandbox);
  }
  let proxy: ProxyServer | undefined;
  let source: PolicySource | undefined;
  let monitor: NodeJS.Timeout | undefined;
  let stopped = false;
  const credentials = (
    extra: readonly { host: string; header: string; format?: string; env: string }[],
  ) => ({
    rules: [...spec.agentCredentials, ...extra],
    secret: spec.secret,
  });
  try {
    source = await openPolicySource(
      spec.name,
      (state) => {
        proxy?.setPolicy(state.policy);
        proxy?.setCredentials(credentials(state.credentials));
        spec.log('policy reloaded');
      },
      spec.log,
    );
    const ca = await loadOrCreateCertificateAuthority(spec.dir, spec.name);
    // An edit that lands while the CA loads is in current(), not lost before the proxy exists.
    const initial = source.current();
    proxy = createProxy({
      policy: initial.policy,
      ca,
      upstreamCa,
      credentials: credentials(initial.credentials),
      onEvent: spec.onEvent,
      sandbox: spec.name,
    });
    await unlink(spec.proxySocket).catch(() => {});
    await proxy.listen({ path: spec.proxySocket });
    await driver.start(spec.dir, {
      proxySocket: spec.proxySocket,
      caCertPem: ca.certPem,
      hostDirsCache: spec.hostDirsCache,
    });
  } catch (error) {
    await source?.close().catch(() => {});
    await proxy?.close().catch(() => {});
    await driver.stop(spec.dir).catch(() => {});
    throw error;
  }
  const teardown = async () => {
    stopped = true;
    clearInterval(monitor);
    await driver.stop(spec.dir).catch((error) => spec.log(`stop: ${error.message}`));
    await source?.close().catch(() => {});
    await proxy?.close().catch(() => {});
    await unlink(spec.proxySocket).catch(() => {});
  };
  // The driver has no exit event for a sandbox whose init dies: look once a second.
  monitor = setInterval(() => {
    driver.inspect(spec.dir).then(
      (info) => {
        if (info.status !== 'running' && !stopped) {
          stopped = true;
          spec.onExit('its init process ended');
        }
      },
      () => {},
    );
  }, WATCH_MS);
  monitor.unref();
  return {
    digest,
    async execDetached(request) {
      const child = await driver.exec(spec.dir, { ...request, detach: true });
      return { pid: child.pid };
    },
    secretsChanged() {
      // The proxy asks `spec.secret` on each request, which reads the fresh values.
    },
    stop: teardown,
  };
}

/**
 * Run as root, the sandbox user acts as the owner of the main workspace (when that is not
 * root), so what the agent writes there belongs to the workspace's owner. Root-owned
 * workspaces stay read-only to a sandbox started by root: root inside is never root outside.
 */
async function workspaceOwner(path: string): Promise<{ hostUser?: { uid: number; gid: number } }> {
  if (process.getuid?.() !== 0) return {};
  const info = await stat(path);
  if (info.uid === 0 || info.gid === 0) return {};
  return { hostUser: { uid: info.uid, gid: info.gid } };
}
