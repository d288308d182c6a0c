import { describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { runCommand } from './run.ts';
import { parseRunFast, type RunArgs } from './run-args.ts';

/** What yargs, with the real `run` command module, hands the handler. */
async function viaYargs(words: string[]): Promise<Partial<RunArgs>> {
  let seen: Record<string, unknown> = {};
  await yargs(['run', ...words])
    .command({
      ...runCommand,
      handler: (argv) => {
        seen = argv;
      },
    })
    .strict()
    .exitProcess(false)
    .parseAsync();
  const keys = ['target', 'workspace', 'extra', '--', 'name', 'template', 'env', 'envFile'];
  const out: Record<string, unknown> = {
    loadLocalTemplate: seen.loadLocalTemplate,
    detach: seen.detach,
  };
  // Outside main, yargs leaves the words after `--` in `_` (after the command name).
  if (seen['--'] === undefined) seen['--'] = (seen._ as unknown[]).slice(1);
  for (const key of keys) {
    const value = seen[key];
    if (value !== undefined && !(Array.isArray(value) && value.length === 0)) out[key] = value;
  }
  return out;
}

const plain = { loadLocalTemplate: false, detach: false };

describe('sbx run fast parser', () => {
  it.each<[string[], RunArgs]>([
    [['claude'], { ...plain, target: 'claude' }],
    [['claude', '/p'], { ...plain, target: 'claude', workspace: '/p' }],
    [
      ['claude', '/p', '/q', '/r:ro'],
      { ...plain, target: 'claude', workspace: '/p', extra: ['/q', '/r:ro'] },
    ],
    [
      ['shell', '/p', '-t', 'host', '--', '-c', 'true'],
      { ...plain, target: 'shell', workspace: '/p', template: 'host', '--': ['-c', 'true'] },
    ],
    [
      ['box', '--', '--continue', '-x', '--', '007'],
      { ...plain, target: 'box', '--': ['--continue', '-x', '--', '007'] },
    ],
    [['-d', '--name', 'n', 'codex'], { ...plain, detach: true, target: 'codex', name: 'n' }],
    [
      ['shell', '--template', 'img', '--load-local-template'],
      { ...plain, target: 'shell', template: 'img', loadLocalTemplate: true },
    ],
    [
      ['shell', '-e', 'A=1', '--env', 'B', '--env-file', 'f'],
      { ...plain, target: 'shell', env: ['A=1', 'B'], envFile: ['f'] },
    ],
  ])('%j', async (words, expected) => {
    expect(parseRunFast(words)).toEqual(expected);
    // One grammar: yargs with the same option table reads the same arguments.
    const { '--': rest, ...slow } = await viaYargs(words);
    const { '--': fastRest, ...fast } = expected;
    expect(slow).toEqual(fast);
    expect(rest?.map(String)).toEqual(fastRest);
  });

  it.each([
    [[]],
    [['--help']],
    [['claude', '-h']],
    [['claude', '--bogus']],
    [['claude', '-t']],
    [['claude', '-t', 'a', '-t', 'b']],
    [['claude', '--name=x']],
    [['claude', '--no-detach']],
    [['claude', '-dt', 'host']],
    [['--', 'claude']],
  ])('leaves %j to yargs', (words) => {
    expect(parseRunFast(words)).toBeUndefined();
  });
});
