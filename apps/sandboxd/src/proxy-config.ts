import { readFile } from 'node:fs/promises';
import type { AgentCredential } from './agents.ts';
import { parseCredentialRules } from './credential-env.ts';

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
  return parseCredentialRules(text);
}
