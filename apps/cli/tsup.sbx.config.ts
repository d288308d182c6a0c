import { defineConfig } from 'tsup';
import { base } from '../../tsup.base.ts';

// The `sbx` executable (src/sbx.ts) as one CommonJS file with the join code of `sbx exec`
// bundled in: built after the main config, into the same dist/, without cleaning it.
export default defineConfig({
  ...base,
  entry: ['src/sbx.ts'],
  format: ['cjs'],
  dts: false,
  clean: false,
  noExternal: [/^@sbx\/(sandboxd|vm)\/exec$/],
});
