import type { ServerResponse } from 'node:http';
import { SandboxdError } from './errors.ts';
import { Router } from './http.ts';
import type { CreateRequest, SandboxManager } from './manager.ts';
import type { ExecRequest } from './runtime.ts';
import { VERSION } from './version.ts';

/** The daemon's HTTP API; every path is under `/v1`. Bodies are never logged (secrets). */
export function createApi(manager: SandboxManager, shutdown: () => void): Router {
  const router = new Router();
  router
    .add('GET', '/v1/ping', async () => ({ version: VERSION, pid: process.pid }))
    .add('GET', '/v1/sandboxes', async () => manager.list())
    .add('POST', '/v1/sandboxes', async (_req, _res, _p, body) =>
      manager.create(body as CreateRequest),
    )
    .add('GET', '/v1/sandboxes/:name', async (_req, _res, p) => manager.inspect(p.name!))
    .add('POST', '/v1/sandboxes/:name/start', async (_req, _res, p, body) =>
      manager.start(p.name!, secretsOf(body)),
    )
    .add('POST', '/v1/sandboxes/:name/stop', async (_req, _res, p) => manager.stop(p.name!))
    .add('DELETE', '/v1/sandboxes/:name', async (_req, _res, p) => {
      await manager.remove(p.name!);
      return { removed: p.name };
    })
    .add('POST', '/v1/sandboxes/:name/exec', async (_req, _res, p, body) => {
      // Attached commands are run by the client itself (`execInSandbox`), with its terminal.
      return manager.execDetached(p.name!, execRequestOf(body));
    })
    .add('GET', '/v1/network-log', async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://sandboxd');
      const sandbox = url.searchParams.get('sandbox') ?? undefined;
      const limit = Number(url.searchParams.get('limit') ?? 100);
      if (!Number.isInteger(limit) || limit < 0) {
        throw new SandboxdError('SBX_SANDBOXD_INVALID', `invalid limit "${limit}": use a count`);
      }
      const events = await manager.networkLog(sandbox, limit);
      if (url.searchParams.get('follow') !== '1') return events;
      follow(manager, res, events, sandbox);
      return undefined;
    })
    .add('POST', '/v1/reset', async () => ({ removed: await manager.reset() }))
    .add('POST', '/v1/shutdown', async () => {
      setImmediate(shutdown);
      return { stopping: true };
    });
  return router;
}

/** Streams the log as JSON lines: what is on disk, then each new event until the client leaves. */
function follow(
  manager: SandboxManager,
  res: ServerResponse,
  initial: unknown[],
  sandbox: string | undefined,
): void {
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  res.flushHeaders();
  for (const event of initial) res.write(`${JSON.stringify(event)}\n`);
  const onEvent = (event: { sandbox?: unknown }) => {
    if (sandbox === undefined || event.sandbox === sandbox) res.write(`${JSON.stringify(event)}\n`);
  };
  manager.events.on('event', onEvent);
  res.on('close', () => manager.events.off('event', onEvent));
}

function secretsOf(body: unknown): Record<string, string> {
  const secrets = (body as { secrets?: unknown })?.secrets ?? {};
  if (typeof secrets !== 'object' || secrets === null) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(secrets)) if (typeof v === 'string') out[k] = v;
  return out;
}

function execRequestOf(body: unknown): ExecRequest {
  const b = body as Partial<ExecRequest>;
  if (!Array.isArray(b?.cmd) || b.cmd.length === 0 || !b.cmd.every((a) => typeof a === 'string')) {
    throw new SandboxdError('SBX_SANDBOXD_INVALID', 'exec needs a command');
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(b.env ?? {})) if (typeof v === 'string') env[k] = v;
  return {
    cmd: b.cmd,
    env,
    user: typeof b.user === 'string' ? b.user : undefined,
    workdir: typeof b.workdir === 'string' ? b.workdir : undefined,
    tty: b.tty === true,
  };
}
