import * as v from 'valibot';
import { ConfigError } from './errors.ts';
import { type FieldIssue, type FieldPath, formatIssue, fromValibot } from './issues.ts';
import { type Position, parseJsonText } from './json-text.ts';
import { policyIssues } from './policy-bridge.ts';
import {
  CredentialRuleSchema,
  DOCKER_FIELDS,
  DockerProxyConfigSchema,
  ProxyConfigSchema,
} from './schema.ts';
import type { ProxyConfig } from './types.ts';

/** A validation result: the config with defaults filled in, or every problem as `field: reason`. */
export type ProxyConfigResult = { ok: true; value: ProxyConfig } | { ok: false; issues: string[] };

/** What went wrong in detail, for messages that point into the file. */
export type Analysis =
  | { ok: true; value: ProxyConfig; format: 'sbx' | 'docker' }
  | { ok: false; syntax: true; reason: string; position?: Position }
  | { ok: false; syntax: false; issues: FieldIssue[] };

/** The keys allowed in the object at `parent`, to suggest one for a typo. */
function sbxKeys(parent: FieldPath): string[] {
  if (parent.length === 0) return Object.keys(ProxyConfigSchema.entries);
  return parent[0] === 'credentials' ? Object.keys(CredentialRuleSchema.entries) : [];
}

function dockerKeys(parent: FieldPath): string[] {
  if (parent.length === 0) return Object.keys(DockerProxyConfigSchema.entries);
  return parent[0] === 'network' ? Object.values(DOCKER_FIELDS).map((field) => field[1]) : [];
}

/** Checks a config given as JSON text or as an already parsed value. Never throws. */
export function safeParseProxyConfig(json: unknown): ProxyConfigResult {
  const analysis = analyseProxyConfig(json);
  if (analysis.ok) return { ok: true, value: analysis.value };
  if (analysis.syntax) {
    const at = analysis.position
      ? `line ${analysis.position.line}, column ${analysis.position.column}: `
      : '';
    return { ok: false, issues: [`invalid JSON: ${at}${analysis.reason}`] };
  }
  return { ok: false, issues: analysis.issues.map(formatIssue) };
}

/** Like {@link safeParseProxyConfig} but throws a ConfigError (`SBX_CONFIG_SYNTAX` or `_INVALID`). */
export function parseProxyConfig(json: unknown): ProxyConfig {
  const analysis = analyseProxyConfig(json);
  if (analysis.ok) return analysis.value;
  const result = safeParseProxyConfig(json) as { ok: false; issues: string[] };
  const code = analysis.syntax ? 'SBX_CONFIG_SYNTAX' : 'SBX_CONFIG_INVALID';
  throw new ConfigError(code, `invalid proxy config: ${result.issues.join('; ')}`, {
    issues: result.issues,
  });
}

/** {@link safeParseProxyConfig} with the detail readers need to point at the line and column. */
export function analyseProxyConfig(json: unknown): Analysis {
  let value = json;
  if (typeof json === 'string') {
    const parsed = parseJsonText(json);
    if (!parsed.ok)
      return { ok: false, syntax: true, reason: parsed.reason, position: parsed.position };
    value = parsed.value;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      ok: false,
      syntax: false,
      issues: [{ path: [], reason: 'a proxy config must be a JSON object' }],
    };
  }
  if (isDockerFormat(value)) return analyseDocker(value);
  const result = v.safeParse(ProxyConfigSchema, value);
  if (!result.success)
    return { ok: false, syntax: false, issues: fromValibot(result.issues, sbxKeys) };
  const config = result.output as ProxyConfig;
  const issues = policyIssues(config);
  return issues.length > 0
    ? { ok: false, syntax: false, issues }
    : { ok: true, value: config, format: 'sbx' };
}

/** Docker's field names: no `version`, and a `network` object or `policy: { default }`. */
function isDockerFormat(value: object): boolean {
  if ('version' in value) return false;
  const policy = (value as { policy?: unknown }).policy;
  return 'network' in value || (typeof policy === 'object' && policy !== null);
}

function analyseDocker(value: object): Analysis {
  const result = v.safeParse(DockerProxyConfigSchema, value);
  if (!result.success) {
    return { ok: false, syntax: false, issues: fromValibot(result.issues, dockerKeys) };
  }
  const { policy, network } = result.output;
  const config: ProxyConfig = {
    version: 1,
    policy: typeof policy === 'object' ? policy.default : (policy ?? 'allow'),
    allowHosts: network?.allowedDomains ?? [],
    blockHosts: network?.blockedDomains ?? [],
    allowCidrs: network?.allowCIDR ?? [],
    blockCidrs: network?.blockCIDR ?? [],
    bypassHosts: network?.bypassDomains ?? [],
    bypassCidrs: network?.bypassCIDR ?? [],
    credentials: [],
  };
  const issues = policyIssues(config).map((issue) => {
    const field = DOCKER_FIELDS[issue.path[0] as keyof typeof DOCKER_FIELDS];
    return field ? { ...issue, path: [...field, ...issue.path.slice(1)] } : issue;
  });
  return issues.length > 0
    ? { ok: false, syntax: false, issues }
    : { ok: true, value: config, format: 'docker' };
}
