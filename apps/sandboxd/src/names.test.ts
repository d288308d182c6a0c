import { describe, expect, it } from 'vitest';
import { assertSandboxName, defaultSandboxName, uniqueName } from './names.ts';

describe('defaultSandboxName', () => {
  it.each([
    ['claude', '/home/me/project', 'claude-project'],
    ['codex', '/home/me/My Project!', 'codex-my-project'],
    ['shell', '/', 'shell'],
    ['gemini', '/srv/.hidden.', 'gemini-hidden'],
  ])('%s in %s is %s', (agent, workspace, expected) => {
    expect(defaultSandboxName(agent, workspace)).toBe(expected);
  });
});

describe('uniqueName', () => {
  it.each([
    [[], 'claude-project'],
    [['claude-project'], 'claude-project-2'],
    [['claude-project', 'claude-project-2'], 'claude-project-3'],
  ])('with %j taken gives %s', (taken, expected) => {
    expect(uniqueName('claude-project', new Set(taken))).toBe(expected);
  });
});

describe('assertSandboxName', () => {
  it.each(['a', 'claude-project', 'x.y_z-1'])('accepts %s', (name) => {
    expect(() => assertSandboxName(name)).not.toThrow();
  });
  it.each(['', '-a', '../etc', 'a/b', 'a b', '.', 'a..b', 'x'.repeat(64)])('refuses %j', (name) => {
    expect(() => assertSandboxName(name)).toThrow(/^invalid sandbox name/);
  });
});
