import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliPluginsDir, writeFileAtomic } from '@sbx/config';
import { CliError } from '../errors.ts';
import { PLUGIN_FILE, PLUGIN_MARKER } from '../plugin/metadata.ts';
import type { PluginArgs } from './install-plugin.ts';

/** Quotes for sh: everything literal inside single quotes. */
function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The built plugin entry next to this chunk in dist/. */
function pluginEntry(): string {
  return fileURLToPath(new URL('./plugin.js', import.meta.url));
}

/** The plugin file: a tiny sh script, so Docker can run it, that execs Node on dist/plugin.js. */
export function pluginScript(node = process.execPath, entry = pluginEntry()): string {
  return `#!/bin/sh\n${PLUGIN_MARKER}\nexec ${shellQuote(node)} ${shellQuote(entry)} "$@"\n`;
}

/** Whether the file at `path` is missing (undefined), ours (true) or someone else's (false). */
async function owned(path: string): Promise<boolean | undefined> {
  try {
    return (await readFile(path, 'utf8')).includes(PLUGIN_MARKER);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function notOurs(path: string, action: string): CliError {
  return new CliError(
    `${path} was not installed by sbx (Docker Desktop's own plugin?); rerun with --force to ${action} it`,
    { code: 'SBX_PLUGIN_NOT_OURS' },
  );
}

export async function installPlugin(argv: PluginArgs): Promise<void> {
  const path = join(cliPluginsDir(), PLUGIN_FILE);
  if ((await owned(path)) === false && !argv.force) throw notOurs(path, 'replace');
  await writeFileAtomic(path, pluginScript(), { mode: 0o755 });
  process.stdout.write(`Installed the Docker CLI plugin: ${path}\nTry: docker sandbox --help\n`);
}

export async function uninstallPlugin(argv: PluginArgs): Promise<void> {
  const path = join(cliPluginsDir(), PLUGIN_FILE);
  const state = await owned(path);
  if (state === undefined) {
    process.stdout.write(`No Docker CLI plugin to remove: ${path} does not exist.\n`);
    return;
  }
  if (state === false && !argv.force) throw notOurs(path, 'remove');
  await rm(path, { force: true });
  process.stdout.write(`Removed the Docker CLI plugin: ${path}\n`);
}
