import { describe, expect, it } from 'vitest';
import { runSbx } from './run-sbx.ts';

describe('--help', { timeout: 30_000 }, () => {
  it.each(['network', 'network proxy', 'install-plugin', 'uninstall-plugin'])(
    'of `sbx %s` shows usage and examples',
    async (command) => {
      const result = await runSbx([...command.split(' '), '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout.startsWith(`sbx ${command}`)).toBe(true);
      expect(result.stdout).toMatch(/\nExamples:\n {2}sbx /);
    },
  );
});
