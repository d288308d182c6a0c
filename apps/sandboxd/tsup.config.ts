import { defineConfig } from 'tsup';
import { base } from '../../tsup.base.ts';

// bin.ts is the daemon process the CLI starts detached; index.ts the client and the library;
// client-entry.ts the lean client other commands load; exec-entry.ts the leaner `sbx exec` on a
// running sandbox, with no HTTP client (split chunks keep them from duplicating).
export default defineConfig({
  ...base,
  entry: ['src/index.ts', 'src/bin.ts', 'src/client-entry.ts', 'src/exec-entry.ts'],
  splitting: true,
});
