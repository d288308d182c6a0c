import { type ProxyConfig, toPolicyConfig } from '@sbx/config';
import { compilePolicy, type PolicyRule } from '@sbx/policy';
import { formatTable } from '../sandbox/table.ts';

/** The effective rules of a config, in the order the proxy applies them, defaults included. */
export function effectiveRules(config: ProxyConfig): readonly PolicyRule[] {
  return compilePolicy(toPolicyConfig(config)).rules();
}

/** The rules as a numbered table, then the credential rules (names of variables, never values). */
export function formatRules(config: ProxyConfig): string {
  const rows = effectiveRules(config).map((rule, i) => [
    String(i + 1),
    rule.kind,
    rule.action,
    rule.pattern ??
      (rule.action === 'block' ? 'any other host (policy deny)' : 'any other host (policy allow)'),
    rule.source,
  ]);
  let out = formatTable(['#', 'MATCH', 'ACTION', 'RULE', 'FROM'], rows);
  if (config.credentials.length > 0) {
    out += `\n${formatTable(
      ['CREDENTIAL HOST', 'HEADER', 'VALUE', 'FROM ENV'],
      config.credentials.map((c) => [c.host, c.header, c.format, `$${c.env}`]),
    )}`;
  }
  return out;
}
