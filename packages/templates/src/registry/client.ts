import type { Readable } from 'node:stream';
import { type Dispatcher, request } from 'undici';
import { TemplateError } from '../errors.ts';
import { type Challenge, parseChallenge } from './challenge.ts';
import { basic, type Credentials, credentialsFor } from './credentials.ts';

export interface RegistryOptions {
  /** Allow plain HTTP (and fall back to it) for this registry even when it is not on loopback. */
  insecure?: boolean;
  /** Credentials; by default read from `$DOCKER_CONFIG/config.json` `auths`. */
  credentials?: Credentials;
  env?: NodeJS.ProcessEnv;
  dispatcher?: Dispatcher;
}

export type Response = Dispatcher.ResponseData;

interface Req {
  method?: Dispatcher.HttpMethod;
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  /** `pull` or `pull,push`: the token scope this request needs. */
  actions?: string;
}

const MAX_REDIRECTS = 5;

/** True for `localhost`, 127.0.0.0/8 and ::1 (with or without a port): where plain HTTP is allowed. */
export function isLoopback(host: string): boolean {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  const h = bracketed
    ? bracketed[1]!
    : host.split(':').length > 2
      ? host
      : host.replace(/:\d+$/, '');
  return (
    h === 'localhost' || h.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::1'
  );
}

/** A client for one repository of an OCI distribution registry: scheme choice, token flow, redirects. */
export class RegistryClient {
  private scheme: 'https' | 'http' | undefined;
  private readonly tokens = new Map<string, string>();
  private basicAuth: string | undefined;
  private readonly credentials: Credentials | undefined;
  readonly host: string;

  constructor(
    readonly registry: string,
    readonly repository: string,
    private readonly options: RegistryOptions = {},
  ) {
    this.host = registry === 'docker.io' ? 'registry-1.docker.io' : registry;
    this.credentials = options.credentials ?? credentialsFor(registry, options.env);
  }

  private plainHttpAllowed(host: string): boolean {
    return isLoopback(host) || this.options.insecure === true;
  }

  /** Sends a request to `/v2/<repository><path>` (or an absolute URL), authenticating on a 401 challenge. */
  async request(path: string, req: Req = {}): Promise<Response> {
    const actions = req.actions ?? 'pull';
    let res = await this.send(path, req, actions);
    if (res.statusCode === 401) {
      const header = res.headers['www-authenticate'];
      await res.body.dump();
      const challenge = parseChallenge(Array.isArray(header) ? header[0]! : (header ?? ''));
      if (!challenge) throw this.denied(401, 'without an authentication challenge');
      await this.authenticate(challenge, actions);
      if (req.body && !Buffer.isBuffer(req.body)) throw this.denied(401, 'for a streamed upload');
      res = await this.send(path, req, actions);
      if (res.statusCode === 401) {
        await res.body.dump();
        throw this.denied(
          401,
          this.credentials
            ? 'with the credentials from config.json'
            : 'anonymously: log in with docker login',
        );
      }
    }
    return res;
  }

  /** Fetches a token for `actions` up front, so streamed uploads carry it from the start. */
  async authorize(actions: string): Promise<void> {
    const res = await this.request('/', { method: 'GET', actions });
    await res.body.dump();
  }

  private async send(path: string, req: Req, actions: string): Promise<Response> {
    let url = path.startsWith('http') ? path : `/v2/${this.repository}${path}`;
    if (path === '/') url = '/v2/';
    let auth = this.authHeader(actions);
    for (let hop = 0; ; hop++) {
      const res = await this.dispatch(url, req, auth);
      if (
        res.statusCode < 300 ||
        res.statusCode >= 400 ||
        res.statusCode === 304 ||
        !res.headers.location
      )
        return res;
      await res.body.dump();
      if (hop >= MAX_REDIRECTS)
        throw new TemplateError(
          'SBX_TEMPLATES_REGISTRY',
          `${this.registry} redirected too many times`,
        );
      const base = url.startsWith('http') ? url : `${this.scheme}://${this.host}${url}`;
      const next = new URL(String(res.headers.location), base);
      if (next.protocol === 'http:' && !this.plainHttpAllowed(next.host)) {
        throw new TemplateError(
          'SBX_TEMPLATES_INSECURE',
          `${this.registry} redirected to plain HTTP (${next.host}): refused`,
        );
      }
      // A redirect to a blob store or CDN must not carry the registry token.
      if (next.host !== this.host) auth = undefined;
      url = next.toString();
    }
  }

  private async dispatch(url: string, req: Req, auth: string | undefined): Promise<Response> {
    const headers: Record<string, string> = { 'user-agent': 'sbx-templates', ...req.headers };
    if (auth) headers.authorization = auth;
    const opts = {
      method: req.method ?? 'GET',
      headers,
      body: req.body,
      ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
    };
    if (url.startsWith('http')) return this.wrap(() => request(url, opts));
    if (this.scheme) return this.wrap(() => request(`${this.scheme}://${this.host}${url}`, opts));
    try {
      const res = await request(`https://${this.host}${url}`, opts);
      this.scheme = 'https';
      return res;
    } catch (err) {
      if (!this.plainHttpAllowed(this.host)) throw this.unreachable(err);
      const res = await this.wrap(() => request(`http://${this.host}${url}`, opts));
      this.scheme = 'http';
      return res;
    }
  }

  private async wrap(fn: () => Promise<Response>): Promise<Response> {
    try {
      return await fn();
    } catch (err) {
      throw this.unreachable(err);
    }
  }

  private unreachable(err: unknown): TemplateError {
    const why = (err as { code?: string }).code ?? (err as Error).message;
    const hint = this.plainHttpAllowed(this.host)
      ? ': is it running, and is the name right?'
      : ': check the name and your network (plain HTTP is only tried for loopback registries or with --insecure)';
    return new TemplateError(
      'SBX_TEMPLATES_REGISTRY',
      `cannot reach registry ${this.registry} (${why})${hint}`,
      { cause: err },
    );
  }

  private authHeader(actions: string): string | undefined {
    const token =
      this.tokens.get(actions) ?? (actions === 'pull' ? this.tokens.get('pull,push') : undefined);
    return token ? `Bearer ${token}` : this.basicAuth;
  }

  private async authenticate(ch: Challenge, actions: string): Promise<void> {
    if (ch.scheme === 'basic') {
      if (!this.credentials)
        throw this.denied(401, 'anonymously: it wants a password, log in with docker login');
      this.basicAuth = basic(this.credentials);
      return;
    }
    if (ch.scheme !== 'bearer' || !ch.params.realm)
      throw this.denied(401, `with an unsupported challenge "${ch.scheme}"`);
    const realm = new URL(ch.params.realm);
    if (
      realm.protocol !== 'https:' &&
      !(realm.protocol === 'http:' && this.plainHttpAllowed(realm.host))
    ) {
      throw new TemplateError(
        'SBX_TEMPLATES_INSECURE',
        `${this.registry} sent its token realm over plain HTTP (${realm.host}): refused`,
      );
    }
    if (ch.params.service) realm.searchParams.set('service', ch.params.service);
    realm.searchParams.set('scope', `repository:${this.repository}:${actions}`);
    const headers: Record<string, string> = { 'user-agent': 'sbx-templates' };
    if (this.credentials) headers.authorization = basic(this.credentials);
    let res: Response;
    try {
      res = await request(realm, {
        headers,
        ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
      });
    } catch (err) {
      throw new TemplateError(
        'SBX_TEMPLATES_AUTH',
        `cannot reach the token service of ${this.registry} at ${realm.host}`,
        { cause: err },
      );
    }
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw this.denied(
        res.statusCode,
        this.credentials
          ? 'by its token service for the credentials in config.json'
          : 'by its token service anonymously: log in with docker login',
      );
    }
    const body = (await res.body.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token)
      throw new TemplateError(
        'SBX_TEMPLATES_AUTH',
        `the token service of ${this.registry} returned no token`,
      );
    this.tokens.set(actions, token);
  }

  private denied(status: number, how: string): TemplateError {
    return new TemplateError(
      'SBX_TEMPLATES_AUTH',
      `access to ${this.repository} on ${this.registry} was denied (HTTP ${status}) ${how}`,
    );
  }

  /** A TemplateError for an unexpected response, with the registry's own error message. */
  async fail(res: Response, what: string): Promise<TemplateError> {
    let detail = '';
    try {
      const text = (await res.body.text()).slice(0, 2000);
      const json = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
      detail = json.errors?.map((e) => `${e.code}: ${e.message}`).join('; ') ?? '';
    } catch {
      detail = '';
    }
    if (res.statusCode === 404) {
      return new TemplateError(
        'SBX_TEMPLATES_NOT_FOUND',
        `${what}: registry ${this.registry} has no such ${this.repository} content (HTTP 404${detail ? `, ${detail}` : ''})`,
      );
    }
    return new TemplateError(
      'SBX_TEMPLATES_REGISTRY',
      `${what}: registry ${this.registry} answered HTTP ${res.statusCode}${detail ? ` (${detail})` : ''}`,
    );
  }
}
