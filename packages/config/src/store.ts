import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic.ts';
import { builtinProxyConfig } from './defaults.ts';
import { ConfigError } from './errors.ts';
import { fileError, missingError } from './file-errors.ts';
import { formatIssue } from './issues.ts';
import { withFileLock } from './lock.ts';
import { analyseProxyConfig } from './parse.ts';
import { defaultProxyConfigPath, sandboxProxyConfigPath } from './paths.ts';
import type { ProxyConfig } from './types.ts';

/** What an update did: the config before and after, and whether the file was rewritten. */
export interface ProxyConfigUpdate {
  before: ProxyConfig;
  after: ProxyConfig;
  changed: boolean;
}

export interface UpdateOptions {
  /** Starting point when the file does not exist yet; without it a missing file is an error. */
  ifMissing?: () => ProxyConfig | Promise<ProxyConfig>;
}

function serialize(config: ProxyConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError('SBX_CONFIG_IO', `cannot read ${path}: ${(error as Error).message}`, {
      file: path,
      cause: error,
    });
  }
}

function parseFile(path: string, text: string): ProxyConfig {
  const analysis = analyseProxyConfig(text);
  if (!analysis.ok) throw fileError(path, text, analysis);
  return analysis.value;
}

/** Reads and validates a proxy config; a bad file throws a ConfigError naming file, place and fix. */
export async function readProxyConfig(path: string): Promise<ProxyConfig> {
  const text = await readText(path);
  if (text === undefined) {
    throw missingError(path);
  }
  return parseFile(path, text);
}

/** Validates `config` or throws, naming the change that would have made `path` invalid. */
function validated(path: string, config: ProxyConfig): ProxyConfig {
  const analysis = analyseProxyConfig(config);
  if (analysis.ok) return analysis.value;
  const issues = analysis.syntax ? [analysis.reason] : analysis.issues.map(formatIssue);
  throw new ConfigError(
    'SBX_CONFIG_INVALID',
    `not saved, ${path} would become invalid: ${issues.join('; ')}`,
    { file: path, issues },
  );
}

/**
 * Locked read-modify-write: reads `path`, lets `mutate` change a copy (in place or by returning a
 * new one), validates the result and writes it atomically. An invalid file or result is never
 * written; concurrent updates from any process are applied one after the other.
 */
export function updateProxyConfig(
  path: string,
  // biome-ignore lint/suspicious/noConfusingVoidType: a mutator that edits in place returns nothing
  mutate: (config: ProxyConfig) => ProxyConfig | void | Promise<ProxyConfig | void>,
  options: UpdateOptions = {},
): Promise<ProxyConfigUpdate> {
  return withFileLock(path, async () => {
    const text = await readText(path);
    let before: ProxyConfig;
    if (text !== undefined) before = parseFile(path, text);
    else if (options.ifMissing) before = validated(path, await options.ifMissing());
    else throw missingError(path);
    const draft = structuredClone(before);
    const after = validated(path, (await mutate(draft)) ?? draft);
    const output = serialize(after);
    const changed = output !== text;
    if (changed) await writeFileAtomic(path, output);
    return { before, after, changed: serialize(before) !== output };
  });
}

/**
 * Replaces `path` with `config` (validated) under the lock, whatever the file held before, even
 * if it was corrupt: the way out offered by error messages. `before` is undefined if unreadable.
 */
export function resetProxyConfig(
  path: string,
  config: ProxyConfig,
): Promise<{ before: ProxyConfig | undefined; after: ProxyConfig; changed: boolean }> {
  return withFileLock(path, async () => {
    const after = validated(path, config);
    const text = await readText(path);
    let before: ProxyConfig | undefined;
    if (text !== undefined) {
      const analysis = analyseProxyConfig(text);
      before = analysis.ok ? analysis.value : undefined;
    }
    const output = serialize(after);
    if (output !== text) await writeFileAtomic(path, output);
    return { before, after, changed: before === undefined || serialize(before) !== output };
  });
}

/** Writes a validated config atomically under the lock, replacing the file. */
export async function writeProxyConfig(path: string, config: ProxyConfig): Promise<void> {
  await resetProxyConfig(path, config);
}

/**
 * Creates `~/.sandboxd/proxy-config.json` from the built-in defaults if it does not exist, and
 * never touches it afterwards, so upgrades keep the user's edits. Returns its path.
 */
export async function ensureDefaultProxyConfig(): Promise<string> {
  const path = defaultProxyConfigPath();
  await withFileLock(path, async () => {
    if ((await readText(path)) === undefined)
      await writeFileAtomic(path, serialize(builtinProxyConfig()));
  });
  return path;
}

/**
 * Gives sandbox `name` its own policy, a copy of the default policy (created first if needed).
 * A sandbox that already has a proxy-config.json keeps it. Returns the path.
 */
export async function createSandboxProxyConfig(name: string): Promise<string> {
  const path = sandboxProxyConfigPath(name);
  const defaults = await readProxyConfig(await ensureDefaultProxyConfig());
  await withFileLock(path, async () => {
    if ((await readText(path)) === undefined) await writeFileAtomic(path, serialize(defaults));
  });
  return path;
}
