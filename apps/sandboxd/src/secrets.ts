import type { AgentCredential } from './agents.ts';

/**
 * Credential values of each sandbox, held in sandboxd's memory only: replaced at every
 * `run`/`start` from the CLI's environment, never written to disk or logged.
 */
export class SecretStore {
  readonly #values = new Map<string, Map<string, string>>();

  /** Replaces a sandbox's secrets; variables missing from `values` are forgotten. */
  set(sandbox: string, values: Record<string, string>): void {
    const map = new Map<string, string>();
    for (const [key, value] of Object.entries(values)) {
      if (typeof value === 'string' && value !== '') map.set(key, value);
    }
    this.#values.set(sandbox, map);
  }

  delete(sandbox: string): void {
    this.#values.delete(sandbox);
  }

  /** The value for `env`, falling back to the aliases a credential rule names. */
  lookup(
    sandbox: string,
    env: string,
    credentials: readonly AgentCredential[],
  ): string | undefined {
    const map = this.#values.get(sandbox);
    if (!map) return undefined;
    const direct = map.get(env);
    if (direct !== undefined) return direct;
    for (const credential of credentials) {
      if (credential.env !== env) continue;
      for (const alias of credential.aliases ?? []) {
        const value = map.get(alias);
        if (value !== undefined) return value;
      }
    }
    return undefined;
  }
}
