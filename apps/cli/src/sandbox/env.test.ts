import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectSecrets, parseEnvFlags } from './env.ts';

describe('parseEnvFlags', () => {
  it('reads -e NAME=VALUE, -e NAME from this environment, and env files, later ones winning', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sbx-env-'));
    try {
      const file = join(dir, 'vars');
      await writeFile(file, '# comment\nA=from-file\n\nB=b=c\n');
      expect(parseEnvFlags(['A=flag', 'HOME_X', 'MISSING'], [file], { HOME_X: '/h' })).toEqual({
        A: 'flag',
        B: 'b=c',
        HOME_X: '/h',
      });
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it.each([['1A=x'], ['=x'], ['A-B=1']])('refuses %j', (flag) => {
    expect(() => parseEnvFlags([flag])).toThrow(
      `invalid environment variable "${flag}" in -e: use NAME=VALUE`,
    );
  });
});

describe('collectSecrets', () => {
  it('takes only the named, non-empty variables', () => {
    expect(
      collectSecrets(['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'GEMINI_API_KEY'], {
        ANTHROPIC_API_KEY: 'a',
        OPENAI_API_KEY: '',
        PATH: '/bin',
      }),
    ).toEqual({ ANTHROPIC_API_KEY: 'a' });
  });
});
