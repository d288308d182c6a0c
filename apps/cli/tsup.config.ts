import { defineConfig } from 'tsup';
import { base } from '../../tsup.base.ts';

// Splitting keeps each command's handler in its own chunk, loaded only when that command runs.
export default defineConfig({
  ...base,
  entry: ['src/index.ts', 'src/bin.ts', 'src/plugin.ts'],
  splitting: true,
});
