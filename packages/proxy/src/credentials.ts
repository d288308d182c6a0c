import { compileHostPatterns, type HostMatcher, validateHostPattern } from '@sbx/policy';
import { ProxyError } from './errors.ts';
import type { Target } from './target.ts';
import type { CredentialRule, Credentials } from './types.ts';

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export type Injection =
  | { ok: true; header: string; value: string; lower: string; env: string }
  | { ok: false; env: string; why: string };

/** Credential rules compiled once: the most specific rule for a host wins (as in the policy). */
export class CredentialInjector {
  readonly #matcher: HostMatcher;
  readonly #rules = new Map<string, CredentialRule>();
  readonly #secret: (env: string) => string | undefined;

  constructor(credentials: Credentials | undefined) {
    const rules = credentials?.rules ?? [];
    for (const rule of rules) {
      const pattern = validateHostPattern(rule.host);
      if (!pattern.ok) {
        throw new ProxyError(
          'SBX_PROXY_CREDENTIAL_INVALID',
          `credential rule for ${JSON.stringify(rule.host)}: ${pattern.reason}`,
        );
      }
      if (!HEADER_NAME.test(rule.header)) {
        throw new ProxyError(
          'SBX_PROXY_CREDENTIAL_INVALID',
          `credential rule for ${JSON.stringify(rule.host)}: ${JSON.stringify(rule.header)} is not a valid header name`,
        );
      }
      if (rule.format !== undefined && rule.format.split('{value}').length !== 2) {
        throw new ProxyError(
          'SBX_PROXY_CREDENTIAL_INVALID',
          `credential rule for ${JSON.stringify(rule.host)}: the format must contain {value} exactly once`,
        );
      }
    }
    for (const rule of rules) {
      const text = (validateHostPattern(rule.host) as { value: string }).value;
      if (!this.#rules.has(text)) this.#rules.set(text, rule);
    }
    this.#matcher = compileHostPatterns([...this.#rules.keys()], 'credentials');
    this.#secret = credentials?.secret ?? ((env) => process.env[env]);
  }

  /** The header to set on a request to `target`, undefined when no rule matches. */
  inject(target: Target): Injection | undefined {
    if (this.#rules.size === 0) return undefined;
    const text = this.#matcher.match(target.host, target.port);
    const rule = text === null ? undefined : this.#rules.get(text);
    if (!rule) return undefined;
    const secret = this.#secret(rule.env);
    if (secret === undefined || secret === '') {
      return { ok: false, env: rule.env, why: 'is not set' };
    }
    const format = rule.format ?? '{value}';
    const value = format.replace('{value}', () => secret);
    // Never echo the value: a secret with a line break would otherwise split the request.
    if (!HEADER_VALUE.test(value)) {
      return { ok: false, env: rule.env, why: 'holds characters not allowed in a header' };
    }
    return {
      ok: true,
      header: rule.header,
      value,
      lower: rule.header.toLowerCase(),
      env: rule.env,
    };
  }
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

export type CredentialCheck =
  | { ok: true; credential: Extract<Injection, { ok: true }> | undefined }
  | { ok: false; status: number; body: string };

/**
 * The credential a request to `target` carries (none through a bypass tunnel), or why it must
 * not go out: its secret is missing or unusable, or it would cross the network in clear text
 * (plain HTTP to another machine).
 */
export function credentialFor(
  injector: CredentialInjector,
  bypass: boolean,
  target: Target,
  secure: boolean,
  address: string,
): CredentialCheck {
  const injection = bypass ? undefined : injector.inject(target);
  if (!injection) return { ok: true, credential: undefined };
  if (!injection.ok) {
    return {
      ok: false,
      status: 502,
      body: `sbx proxy: requests to ${target.name} carry a credential from the environment variable ${injection.env}, which ${injection.why}; set it where the proxy runs and retry\n`,
    };
  }
  if (!secure && !LOOPBACK.test(address)) {
    return {
      ok: false,
      status: 403,
      body: `sbx proxy: requests to ${target.name} carry a credential (${injection.env}) that is only sent over TLS or to this machine; use https://\n`,
    };
  }
  return { ok: true, credential: injection };
}
