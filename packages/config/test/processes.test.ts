import { once } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConfigError, ProxyConfig } from '../src/index.ts';
import {
  builtinProxyConfig,
  readProxyConfig,
  updateProxyConfig,
  watchConfig,
  writeFileAtomic,
  writeProxyConfig,
} from '../src/index.ts';
import { exited, tempHome, until, writer } from './helpers.ts';

// These tests run the built package in child processes: `pnpm turbo run build --filter @sbx/config`.

describe('across processes', { timeout: 60_000 }, () => {
  it('two processes each adding 200 hosts at the same time end with all 400', async () => {
    await using home = await tempHome();
    const file = join(home.dir, 'proxy-config.json');
    const children = [writer(['add', file, 'a', '200']), writer(['add', file, 'b', '200'])];
    expect(await Promise.all(children.map(exited))).toEqual([0, 0]);
    const hosts = (await readProxyConfig(file)).allowHosts;
    const expected = ['a', 'b'].flatMap((p) =>
      Array.from({ length: 200 }, (_, i) => `${p}${i}.example.com`),
    );
    expect([...hosts].sort()).toEqual(expected.sort());
    expect(await readdir(home.dir)).toEqual(['proxy-config.json']);
  });

  it('a writer killed with SIGKILL at random moments, 100 times, leaves the old or the new file', async () => {
    await using home = await tempHome();
    const file = join(home.dir, 'proxy-config.json');
    await writeProxyConfig(file, builtinProxyConfig());
    // The next writers start (and load the package) while one writes, so the hundred process
    // starts overlap; each waits for "go" on stdin, so only one writes at a time.
    const start = () => {
      const child = writer(['loop', file]);
      const ready = once(child.stdout!, 'data').then(([chunk]) => String(chunk));
      return { child, ready };
    };
    const pool = Array.from({ length: 3 }, start);
    let last = 0;
    for (let kill = 0; kill < 100; kill++) {
      const victim = pool.shift()!;
      pool.push(start());
      victim.child.stdin!.end('go\n');
      expect(await victim.ready).toBe('ready\n');
      await new Promise((r) => setTimeout(r, Math.random() * 10));
      victim.child.kill('SIGKILL');
      expect(await exited(victim.child)).toBe('SIGKILL');
      const hosts = (await readProxyConfig(file)).allowHosts;
      const version = Number(/^v(\d+)-0\./.exec(hosts[0]!)![1]);
      expect(hosts).toEqual(Array.from({ length: 300 }, (_, i) => `v${version}-${i}.example.com`));
      expect(version).toBeGreaterThanOrEqual(last);
      last = version;
    }
    for (const { child } of pool) child.kill('SIGKILL');
    await Promise.all(pool.map(({ child }) => exited(child)));
    // Locks left by killed writers do not block the next one.
    expect(await exited(writer(['add', file, 'after', '1']))).toBe(0);
    expect((await readProxyConfig(file)).allowHosts).toContain('after0.example.com');
    expect((await readdir(home.dir)).sort()).toEqual(['proxy-config.json']);
  }, 180_000);

  it('the watcher applies the last of several quick writes (chokidar drops events within ~50 ms)', async () => {
    await using home = await tempHome();
    const file = join(home.dir, 'proxy-config.json');
    await writeProxyConfig(file, builtinProxyConfig());
    const seen: ProxyConfig[] = [];
    const watcher = watchConfig(
      file,
      (config) => seen.push(config),
      () => {},
    );
    try {
      await watcher.ready;
      for (const host of ['a.com', 'b.com', 'c.com']) {
        await writeProxyConfig(file, { ...builtinProxyConfig(), allowHosts: [host] });
      }
      await until(() => watcher.current()?.allowHosts[0] === 'c.com');
      expect(seen.at(-1)?.allowHosts).toEqual(['c.com']);
    } finally {
      await watcher.close();
    }
  });

  it('the watcher delivers each valid version written by another process once, and reports invalid ones', async () => {
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
      expect(watcher.current()).toEqual(builtinProxyConfig());

      expect(await exited(writer(['add', file, 'x', '1']))).toBe(0);
      await until(() => events.length === 1);
      const v2 = { ...builtinProxyConfig(), allowHosts: ['x0.example.com'] };
      expect(events[0]).toEqual(v2);

      const bad = '{\n  "policy": "deny",\n  "allowHosts": [\n';
      await writeFileAtomic(file, bad);
      await until(() => events.length === 2);
      const error = events[1] as ConfigError;
      expect({ code: error.code, message: error.message }).toEqual({
        code: 'SBX_CONFIG_SYNTAX',
        message: `${file}:4:1: invalid JSON: a "]" was expected; fix the file, or replace it with a valid one`,
      });
      expect(watcher.current()).toEqual(v2);

      // The same valid content again is not a new version; the next different one is.
      await writeFileAtomic(file, JSON.stringify(v2));
      await updateProxyConfig(file, (config) => {
        config.policy = 'deny';
      });
      await until(() => watcher.current()?.policy === 'deny');
      expect(events.slice(2)).toEqual([{ ...v2, policy: 'deny' }]);
      expect(JSON.parse(await readFile(file, 'utf8')).policy).toBe('deny');
    } finally {
      await watcher.close();
    }
  });
});
