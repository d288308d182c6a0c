import { describe, expect, it } from 'vitest';
import { getAgent, placeholderEnv } from './agents.ts';
import { SecretStore } from './secrets.ts';

describe('SecretStore', () => {
  const gemini = getAgent('gemini').credentials;

  it.each([
    [{ GEMINI_API_KEY: 'g' }, 'g'],
    [{ GOOGLE_API_KEY: 'o' }, 'o'],
    [{ GEMINI_API_KEY: 'g', GOOGLE_API_KEY: 'o' }, 'g'],
    [{ GEMINI_API_KEY: '' }, undefined],
    [{}, undefined],
  ])('with %j gives the gemini key %j', (values, expected) => {
    const store = new SecretStore();
    store.set('s', values);
    expect(store.lookup('s', 'GEMINI_API_KEY', gemini)).toBe(expected);
  });

  it('forgets values a later start no longer passes, and a deleted sandbox', () => {
    const store = new SecretStore();
    store.set('s', { ANTHROPIC_API_KEY: 'a' });
    store.set('s', {});
    expect(store.lookup('s', 'ANTHROPIC_API_KEY', [])).toBeUndefined();
    store.set('s', { ANTHROPIC_API_KEY: 'b' });
    store.delete('s');
    expect(store.lookup('s', 'ANTHROPIC_API_KEY', [])).toBeUndefined();
  });
});

describe('agents', () => {
  it.each([
    ['claude', { ANTHROPIC_API_KEY: 'proxy-managed' }],
    ['codex', { OPENAI_API_KEY: 'proxy-managed' }],
    ['gemini', { GEMINI_API_KEY: 'proxy-managed', GOOGLE_API_KEY: 'proxy-managed' }],
    ['shell', {}],
  ])('%s sees placeholders %j', (name, env) => {
    expect(placeholderEnv(getAgent(name).credentials)).toEqual(env);
  });

  it('names the known agents when given an unknown one', () => {
    expect(() => getAgent('clause')).toThrow(
      'unknown agent "clause": use one of claude, codex, gemini, cagent, kiro, shell',
    );
  });
});
