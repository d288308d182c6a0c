import { describe, expect, it } from 'vitest';
import { runSbx } from './run-sbx.ts';

describe('sbx completion', () => {
  it('prints a bash completion script that asks sbx for completions', async () => {
    const result = await runSbx(['completion']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^###-begin-sbx-completions-###\n/);
    expect(result.stdout).toContain('sbx --get-yargs-completions');
  });

  it.each([
    [
      ['network', ''],
      ['proxy', 'log'],
    ],
    [['install-plugin', '--'], ['--force']],
  ])('completes %j', async (words, expected) => {
    const result = await runSbx(['--get-yargs-completions', ...words]);
    expect(result.code).toBe(0);
    const offered = result.stdout.split('\n').map((line) => line.split(':')[0]);
    for (const word of expected) expect(offered).toContain(word);
  });
});
