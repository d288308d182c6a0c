import type { PolicyConfig } from '@sbx/policy';
import { safeCompilePolicy, validateCidr, validateHostPattern } from '@sbx/policy';
import type { FieldIssue } from './issues.ts';
import type { ProxyConfig } from './types.ts';

/** The subset of a {@link ProxyConfig} that @sbx/policy's `compilePolicy` takes. */
export type PolicyConfigInput = Required<PolicyConfig>;

/** The policy part of a config, ready for `compilePolicy` from @sbx/policy. */
export function toPolicyConfig(config: ProxyConfig): PolicyConfigInput {
  return {
    policy: config.policy,
    allowHosts: [...config.allowHosts],
    blockHosts: [...config.blockHosts],
    allowCidrs: [...config.allowCidrs],
    blockCidrs: [...config.blockCidrs],
    bypassHosts: [...config.bypassHosts],
    bypassCidrs: [...config.bypassCidrs],
  };
}

/** `allowHosts[2]: reason` (the issue format of @sbx/policy) as a field path and a reason. */
function toFieldIssue(issue: string): FieldIssue {
  const entry = /^(\w+)\[(\d+)\]: (.*)$/s.exec(issue);
  if (entry) return { path: [entry[1]!, Number(entry[2])], reason: entry[3]! };
  const field = /^(\w+): (.*)$/s.exec(issue);
  if (field) return { path: [field[1]!], reason: field[2]! };
  return { path: [], reason: issue };
}

/** Host patterns and CIDRs are judged by @sbx/policy alone, so the file and the proxy agree. */
export function policyIssues(config: ProxyConfig): FieldIssue[] {
  const result = safeCompilePolicy(toPolicyConfig(config));
  const issues = result.ok ? [] : result.issues.map(toFieldIssue);
  config.credentials.forEach((rule, index) => {
    const reason = hostPatternProblem(rule.host);
    if (reason !== undefined) issues.push({ path: ['credentials', index, 'host'], reason });
  });
  return issues;
}

/** Why `pattern` is not a valid host pattern according to @sbx/policy, or undefined if it is. */
export function hostPatternProblem(pattern: string): string | undefined {
  const result = validateHostPattern(pattern);
  return result.ok ? undefined : result.reason;
}

/** Why `cidr` is not a valid CIDR according to @sbx/policy, or undefined if it is. */
export function cidrProblem(cidr: string): string | undefined {
  const result = validateCidr(cidr);
  return result.ok ? undefined : result.reason;
}
