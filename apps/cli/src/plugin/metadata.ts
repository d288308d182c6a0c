import { VERSION } from '../version.ts';

/** The plugin's file name: Docker runs `docker-<name>` for `docker <name>`. */
export const PLUGIN_FILE = 'docker-sandbox';

/** Marks a plugin file as written by `sbx install-plugin`, so sbx never replaces someone else's. */
export const PLUGIN_MARKER = '# docker-sandbox: Docker CLI plugin installed by sbx install-plugin';

/** What Docker's `docker-cli-plugin-metadata` call expects. */
export function pluginMetadata() {
  return {
    SchemaVersion: '0.1.0',
    Vendor: 'sbx',
    Version: VERSION,
    ShortDescription: 'Run AI coding agents in isolated sandboxes (sbx)',
  };
}
