import { defineConfig } from 'tsup';
import { base } from '../../tsup.base.ts';

// bin.ts is the daemon process the CLI starts detached; index.ts the client and the library.
export default defineConfig({ ...base, entry: ['src/index.ts', 'src/bin.ts'] });
