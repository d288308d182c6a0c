import { defineConfig } from 'tsup';
import { base } from '../../tsup.base.ts';

// exec-entry.ts is the lean `@sbx/vm/exec` that `sbx exec` loads; split chunks keep it and
// the full driver from duplicating code.
export default defineConfig({
  ...base,
  entry: ['src/index.ts', 'src/exec-entry.ts'],
  splitting: true,
});
