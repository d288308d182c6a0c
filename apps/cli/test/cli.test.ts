import { describe, expect, it } from 'vitest';
import pkg from '../package.json' with { type: 'json' };
import { runSbx } from './run-sbx.ts';

describe('sbx', () => {
  it('prints its version', async () => {
    const result = await runSbx(['version', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      version: pkg.version,
      node: process.version,
      platform: `${process.platform}/${process.arch}`,
    });
  });

  it('answers an unknown command with one line of usage error and exit code 2', async () => {
    const result = await runSbx(['bogus']);
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: "sbx: Unknown argument: bogus\nRun 'sbx --help' for usage.\n",
    });
  });

  it('asks for a command when given none', async () => {
    const result = await runSbx([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^sbx: a command is needed; run 'sbx --help' for the list\n/);
  });

  it('lists its commands in --help', async () => {
    const result = await runSbx(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: sbx <command> \[options\]/);
    expect(result.stdout).toContain('sbx version');
  });
});
