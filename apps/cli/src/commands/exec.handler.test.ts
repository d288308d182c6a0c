import { describe, expect, it } from 'vitest';
import { parseExecArgs } from './exec.handler.ts';

describe('sbx exec arguments', () => {
  it.each([
    [['box', 'ls', '-la'], 'box', ['ls', '-la'], {}],
    [['-it', 'box', 'bash'], 'box', ['bash'], { interactive: true, tty: true }],
    [['box', 'env', '-i', '--help', '--', 'x'], 'box', ['env', '-i', '--help', '--', 'x'], {}],
    [
      ['-e', 'A=1', '-e', 'B', '-u', 'root', '-w', '/tmp', 'box', 'sh', '-c', 'echo -n hi'],
      'box',
      ['sh', '-c', 'echo -n hi'],
      { env: ['A=1', 'B'], user: 'root', workdir: '/tmp' },
    ],
    [['-d', 'box', 'sleep', '9'], 'box', ['sleep', '9'], { detach: true }],
    [['-e', 'X=1', 'box', 'sh', '-c', 'x'], 'box', ['sh', '-c', 'x'], { env: ['X=1'] }],
    [['box', '-i', 'x'], 'box', ['-i', 'x'], { interactive: false }],
  ])('%j runs %s %j', async (words, sandbox, cmd, options) => {
    const parsed = await parseExecArgs(words);
    expect(parsed?.sandbox).toBe(sandbox);
    expect(parsed?.cmd).toEqual(cmd);
    expect(parsed?.options).toMatchObject(options);
  });

  it.each([[[]], [['box']], [['-i']]])('%j is a usage error', async (words) => {
    await expect(parseExecArgs(words)).rejects.toThrow(
      'exec needs a sandbox and a command: sbx exec SANDBOX COMMAND [ARG…]',
    );
  });
});
