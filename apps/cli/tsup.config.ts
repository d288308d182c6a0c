import { defineConfig } from 'tsup';
import { base } from '../../tsup.base.ts';

// Splitting keeps each command's handler in its own chunk, loaded only when that command runs.
// The join code `sbx exec` runs on a running sandbox is bundled in (not resolved through
// node_modules at run time): package resolution was a large part of its start-up.
export default defineConfig({
  ...base,
  entry: ['src/index.ts', 'src/bin.ts', 'src/plugin.ts'],
  splitting: true,
  noExternal: [/^@sbx\/(sandboxd|vm)\/exec$/],
});
