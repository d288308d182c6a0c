import { describe, expect, it } from 'vitest';
import { EXIT } from '../errors.ts';
import { parseExecArgs } from './exec.handler.ts';
import { parseExecFast } from './exec-args.ts';

const plain = { interactive: false, tty: false, detach: false };

describe('sbx exec fast parser', () => {
  it.each([
    [['box', 'ls', '-la'], 'box', ['ls', '-la'], plain],
    [['box', 'env', '-i', '--help', '--', '-x'], 'box', ['env', '-i', '--help', '--', '-x'], plain],
    [['box', 'echo', '007', '1e3'], 'box', ['echo', '007', '1e3'], plain],
    [['-it', 'box', 'bash'], 'box', ['bash'], { ...plain, interactive: true, tty: true }],
    [['-i', '-t', '-d', 'box', 'x'], 'box', ['x'], { interactive: true, tty: true, detach: true }],
    [
      ['--interactive', '--tty', 'box', 'x'],
      'box',
      ['x'],
      { ...plain, interactive: true, tty: true },
    ],
    [['-e', 'A=B', 'box', 'env'], 'box', ['env'], { ...plain, env: ['A=B'] }],
    [['-e', 'A=1', '--env', 'B', 'box', 'env'], 'box', ['env'], { ...plain, env: ['A=1', 'B'] }],
    [
      ['--env-file', 'f', '--env-file', 'g', 'b', 'x'],
      'b',
      ['x'],
      { ...plain, envFile: ['f', 'g'] },
    ],
    [['-u', 'root', 'box', 'id'], 'box', ['id'], { ...plain, user: 'root' }],
    [['--user', '1000', 'box', 'id'], 'box', ['id'], { ...plain, user: '1000' }],
    [['-w', '/tmp', 'box', 'pwd'], 'box', ['pwd'], { ...plain, workdir: '/tmp' }],
    [['--workdir', '/a b', 'box', 'pwd'], 'box', ['pwd'], { ...plain, workdir: '/a b' }],
    [['-d', 'box', 'sleep', '9'], 'box', ['sleep', '9'], { ...plain, detach: true }],
  ])('%j runs in %s: %j', async (words, sandbox, cmd, options) => {
    const fast = parseExecFast(words);
    expect(fast).toEqual({ options, sandbox, cmd });
    // One grammar: yargs, which parses everything the fast parser declines, agrees with it.
    const slow = await parseExecArgs(words);
    expect({ sandbox: slow?.sandbox, cmd: slow?.cmd }).toEqual({ sandbox, cmd });
    expect(slow?.options).toMatchObject(options);
  });

  it.each([
    [[], 'exec needs a sandbox and a command: sbx exec SANDBOX COMMAND [ARG…]'],
    [['box'], 'exec needs a sandbox and a command: sbx exec SANDBOX COMMAND [ARG…]'],
    [['-i'], 'exec needs a sandbox and a command: sbx exec SANDBOX COMMAND [ARG…]'],
    [['--bogus', 'box', 'true'], 'Unknown argument: bogus'],
    [['-x', 'box', 'true'], 'Unknown argument: x'],
    [['-ix', 'box', 'true'], 'Unknown argument: x'],
    [['-e'], 'Not enough arguments following: e'],
  ])('%j is left to yargs, which rejects it: %s', async (words, message) => {
    expect(parseExecFast(words)).toBeUndefined();
    await expect(parseExecArgs(words)).rejects.toMatchObject({ message, exitCode: EXIT.usage });
  });

  it.each([
    [['--help']],
    [['-h', 'box', 'x']],
    [['--tty=false', 'box', 'x']],
    [['--no-tty', 'box', 'x']],
    [['-u', 'a', '-u', 'b', 'box', 'x']],
    [['-ie', 'A=B', 'box', 'x']],
    [['-eA=B', 'box', 'x']],
    [['-e', '-x', 'box', 'x']],
    [['--', 'box', 'x']],
    [['--envFile', 'f', 'box', 'x']],
  ])('%j is left to yargs', (words) => {
    expect(parseExecFast(words)).toBeUndefined();
  });
});
