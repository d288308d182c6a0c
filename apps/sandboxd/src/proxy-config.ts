import { readFile } from 'node:fs/promises';
import type { AgentCredential } from './agents.ts';

/**
 * The `credentials` rules of a sandbox's proxy-config.json (none when the file is missing).
 * Read leniently here: the file's full validation belongs to @sbx/config at start.
 */
export async function readCredentialRules(path: string): Promise<AgentCredential[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
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
