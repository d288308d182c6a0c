import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConfigError, ProxyConfig } from '../src/index.ts';
import { builtinProxyConfig, watchConfig, writeProxyConfig } from '../src/index.ts';
import { tempHome, until } from './helpers.ts';

describe('watchConfig', () => {
  it('reports a removed file, keeps the last good version, and picks up the file when it returns', async () => {
    await using home = await tempHome();
    const file = join(home.dir, 'proxy-config.json');
    await writeProxyConfig(file, builtinProxyConfig());
    const events: (ProxyConfig | ConfigError)[] = [];
    const watcher = watchConfig(
      file,
      (config) => events.push(config),
      (error) => events.push(error),
    );
    try {
      await watcher.ready;
      await rm(file);
      await until(() => events.length > 0);
      const error = events[0] as ConfigError;
      expect({ code: error.code, message: error.message }).toEqual({
        code: 'SBX_CONFIG_NOT_FOUND',
        message: `${file} was removed; the last valid version stays in force`,
      });
      expect(watcher.current()).toEqual(builtinProxyConfig());
      const back = { ...builtinProxyConfig(), policy: 'deny' as const };
      await writeProxyConfig(file, back);
      await until(() => watcher.current()?.policy === 'deny');
      expect(events.filter((e) => !(e instanceof Error))).toEqual([back]);
    } finally {
      await watcher.close();
    }
  });
});
