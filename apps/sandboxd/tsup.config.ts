import { defineConfig } from 'tsup';
import { base } from '../../tsup.base.ts';

// bin.ts is the daemon process the CLI starts detached; index.ts the client and the library;
// client-entry.ts the lean client `sbx exec` loads (split chunks keep the two from duplicating).
export default defineConfig({
  ...base,
  entry: ['src/index.ts', 'src/bin.ts', 'src/client-entry.ts'],
  splitting: true,
});
