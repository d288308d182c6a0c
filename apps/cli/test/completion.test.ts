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
    [['network', ''], ['proxy', 'log'], ['run']],
    [['install-plugin', '--'], ['--force'], []],
    // `network proxy` must not complete as the top-level `proxy`, whose options are others.
    [
      ['network', 'proxy', '--'],
      ['--allow-host', '--show'],
      ['--listen', '--ca-dir'],
    ],
    [['proxy', '--'], ['--listen', '--ca-dir'], ['--allow-host']],
    [['net'], ['network'], []],
  ])('completes %j', async (words, expected, absent) => {
    const result = await runSbx(['--get-yargs-completions', ...words]);
    expect(result.code).toBe(0);
    const offered = result.stdout.split('\n').map((line) => line.split(':')[0]);
    expect({
      missing: expected.filter((word) => !offered.includes(word)),
      unwanted: absent.filter((word) => offered.includes(word)),
    }).toEqual({ missing: [], unwanted: [] });
  });
});
