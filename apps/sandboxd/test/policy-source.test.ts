import { setImmediate as tick } from 'node:timers/promises';
import { createSandboxProxyConfig, readProxyConfig, updateProxyConfig } from '@sbx/config';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openPolicySource, type PolicySource } from '../src/policy-source.ts';
import { tempHome } from './temp-home.ts';

const rule = (n: number) => ({
  host: `api${n}.example.com`,
  header: 'x-key',
  format: '{value}',
  env: `KEY_${n}`,
});

describe('a sandbox policy source', () => {
  let home: Awaited<ReturnType<typeof tempHome>>;
  const sources: PolicySource[] = [];
  const saved = { ...process.env };

  beforeEach(async () => {
    home = await tempHome();
    Object.assign(process.env, home.env);
  });
  afterEach(async () => {
    for (const source of sources.splice(0)) await source.close();
    process.env.SANDBOXD_HOME = saved.SANDBOXD_HOME;
    process.env.DOCKER_CONFIG = saved.DOCKER_CONFIG;
    if (saved.SANDBOXD_HOME === undefined) delete process.env.SANDBOXD_HOME;
    if (saved.DOCKER_CONFIG === undefined) delete process.env.DOCKER_CONFIG;
    await home[Symbol.asyncDispose]();
  });

  // Regression: the file used to be read before the watch started, so an edit in between was
  // neither in the starting policy nor seen as a change. Edits race the opening at many points.
  it.each([0, 1, 2, 4, 8, 16])(
    'keeps an edit made %i ticks into opening, in the starting policy or as a change',
    async (ticks) => {
      const path = await createSandboxProxyConfig('box');
      const { credentials } = await readProxyConfig(path);
      const opening = openPolicySource(
        'box',
        () => {},
        () => {},
      );
      for (let i = 0; i < ticks; i++) await tick();
      await updateProxyConfig(path, (c) => {
        c.credentials.push(rule(ticks));
      });
      const source = await opening;
      sources.push(source);
      await vi.waitFor(() =>
        expect(source.current().credentials).toEqual([...credentials, rule(ticks)]),
      );
    },
  );

  it('passes a later edit to onChange and makes it current', async () => {
    const path = await createSandboxProxyConfig('box');
    const { credentials } = await readProxyConfig(path);
    const changes: unknown[] = [];
    const errors: string[] = [];
    const source = await openPolicySource(
      'box',
      (state) => changes.push(state.credentials),
      (message) => errors.push(message),
    );
    sources.push(source);
    expect(source.current().credentials).toEqual(credentials);
    await updateProxyConfig(path, (c) => {
      c.credentials.push(rule(1));
    });
    await vi.waitFor(() => expect(changes).toEqual([[...credentials, rule(1)]]));
    expect(source.current().credentials).toEqual([...credentials, rule(1)]);
    expect(errors).toEqual([]);
  });
});
