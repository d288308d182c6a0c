import type { IncomingMessage, ServerResponse } from 'node:http';
import { SandboxdError } from './errors.ts';

const MAX_BODY = 1024 * 1024;

export type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string>,
  body: unknown,
) => Promise<unknown>;

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: Handler;
}

/** A tiny router: `/v1/sandboxes/:name` patterns, JSON in and out, errors as `{ error }`. */
export class Router {
  readonly #routes: Route[] = [];

  add(method: string, path: string, handler: Handler): this {
    const keys: string[] = [];
    const source = path.replace(/:(\w+)/g, (_, key: string) => {
      keys.push(key);
      return '([^/]+)';
    });
    this.#routes.push({ method, pattern: new RegExp(`^${source}$`), keys, handler });
    return this;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://sandboxd');
      const match = this.#find(req.method ?? 'GET', url.pathname);
      if (!match) {
        throw new SandboxdError('SBX_SANDBOXD_INVALID', `no route ${req.method} ${url.pathname}`);
      }
      const body = await readJson(req);
      const result = await match.route.handler(req, res, match.params, body);
      if (!res.headersSent) sendJson(res, 200, result ?? {});
    } catch (error) {
      const known = error instanceof SandboxdError || isCoded(error);
      const code = known ? (error as SandboxdError).code : 'SBX_SANDBOXD_INTERNAL';
      const status = error instanceof SandboxdError ? error.status : known ? 400 : 500;
      const message = (error as Error).message;
      if (!res.headersSent) sendJson(res, status, { error: { code, message } });
      else res.destroy();
      if (!known) throw error;
    }
  }

  #find(method: string, path: string) {
    for (const route of this.#routes) {
      if (route.method !== method) continue;
      const m = route.pattern.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.keys.forEach((key, i) => {
        params[key] = decodeURIComponent(m[i + 1]!);
      });
      return { route, params };
    }
    return undefined;
  }
}

function isCoded(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('SBX_');
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new SandboxdError('SBX_SANDBOXD_INVALID', 'request body too large');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new SandboxdError('SBX_SANDBOXD_INVALID', 'request body is not valid JSON');
  }
}
