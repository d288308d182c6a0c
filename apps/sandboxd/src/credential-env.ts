import { type AgentCredential, getAgent } from './agents.ts';

/**
 * The `credentials` rules of a proxy-config.json's text, read leniently: the file's full
 * validation belongs to @sbx/config at start.
 */
export function parseCredentialRules(text: string): AgentCredential[] {
  const rules = (JSON.parse(text) as { credentials?: unknown }).credentials;
  if (!Array.isArray(rules)) return [];
  return rules
    .filter(
      (r): r is AgentCredential =>
        typeof r?.host === 'string' &&
        typeof r.header === 'string' &&
        typeof r.env === 'string' &&
        (r.format === undefined || typeof r.format === 'string'),
    )
    .map((r) => ({ host: r.host, header: r.header, format: r.format ?? '{value}', env: r.env }));
}

/**
 * The variables a sandbox's credentials use (its agent's and its proxy-config.json's rules,
 * aliases included): inside they hold the placeholder, the client sends their values at start.
 */
export function credentialEnvNames(agent: string, extra: readonly AgentCredential[]): string[] {
  const names = new Set<string>();
  for (const c of [...getAgent(agent).credentials, ...extra]) {
    names.add(c.env);
    for (const alias of c.aliases ?? []) names.add(alias);
  }
  return [...names];
}
