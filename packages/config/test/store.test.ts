import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  builtinProxyConfig,
  createSandboxProxyConfig,
  defaultProxyConfigPath,
  ensureDefaultProxyConfig,
  readProxyConfig,
  resetProxyConfig,
  sandboxProxyConfigPath,
  updateProxyConfig,
} from '../src/index.ts';
import { tempHome } from './helpers.ts';

const BAD_FILES = [
  {
    name: 'invalid JSON',
    text: '{\n  "policy": "deny",\n  "allowHosts": ["a.com",]\n}\n',
    code: 'SBX_CONFIG_SYNTAX',
    where: ':3:26: invalid JSON: a trailing comma is not allowed in JSON',
  },
  {
    name: 'a wrong type',
    text: '{\n  "policy": "deny",\n  "allowHosts": "a.com"\n}\n',
    code: 'SBX_CONFIG_INVALID',
    where: ':3:3: allowHosts: must be an array, not a string',
  },
  {
    name: 'an unknown key',
    text: '{\n  "policy": "deny",\n  "alowHosts": ["a.com"]\n}\n',
    code: 'SBX_CONFIG_INVALID',
    where: ':3:3: alowHosts: unknown key; did you mean "allowHosts"?',
  },
  {
    name: 'a bad host pattern',
    text: '{\n  "allowHosts": [\n    "a.com",\n    "*."\n  ]\n}\n',
    code: 'SBX_CONFIG_INVALID',
    where: ':4:5: allowHosts[1]: invalid host pattern "*.": a wildcard needs a domain after "*."',
  },
  {
    name: 'a bad CIDR',
    text: '{"blockCidrs": ["10.0.0.0/8", "10.0.0.0/33"]}',
    code: 'SBX_CONFIG_INVALID',
    where: ':1:31: blockCidrs[1]: invalid CIDR "10.0.0.0/33": the prefix length 33 is over 32',
  },
];

describe('the proxy-config.json store', () => {
  it.each(BAD_FILES)(
    'reports $name with file, line:column, field and the way out, and leaves the file alone',
    async ({ text, code, where }) => {
      await using home = await tempHome();
      const file = sandboxProxyConfigPath('box');
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(file, text);
      const before = await stat(file);
      const expected = {
        code,
        file,
        message: `${file}${where}; fix the file, or reset it with "sbx network proxy box --reset"`,
      };
      await expect(readProxyConfig(file)).rejects.toMatchObject(expected);
      await expect(
        updateProxyConfig(file, (config) => {
          config.allowHosts.push('b.com');
        }),
      ).rejects.toMatchObject(expected);
      expect(await readFile(file, 'utf8')).toBe(text);
      expect((await stat(file)).mtimeMs).toBe(before.mtimeMs);
      void home;
    },
  );

  it('names the reset command of the default policy, and no command for other files', async () => {
    await using home = await tempHome();
    const def = defaultProxyConfigPath();
    const other = join(home.dir, 'elsewhere.json');
    await mkdir(join(def, '..'), { recursive: true });
    await writeFile(def, '{"policy": "x"}');
    await writeFile(other, '{"policy": "x"}');
    await expect(readProxyConfig(def)).rejects.toThrow(
      `${def}:1:2: policy: must be "allow" or "deny"; fix the file, or reset it with "sbx network proxy --default --reset"`,
    );
    await expect(readProxyConfig(other)).rejects.toThrow(
      `${other}:1:2: policy: must be "allow" or "deny"; fix the file, or replace it with a valid one`,
    );
    const none = join(home.dir, 'none.json');
    await expect(readProxyConfig(none)).rejects.toThrow(`${none} does not exist`);
    await expect(readProxyConfig(sandboxProxyConfigPath('box'))).rejects.toMatchObject({
      code: 'SBX_CONFIG_NOT_FOUND',
      message: `${sandboxProxyConfigPath('box')} does not exist; create it with "sbx network proxy box --reset"`,
    });
  });

  it("points into a file in Docker's format at the field the user wrote", async () => {
    await using home = await tempHome();
    const file = join(home.dir, 'docker.json');
    await writeFile(
      file,
      '{\n  "policy": {"default": "deny"},\n  "network": {\n    "blockCIDR": ["10.0.0.0/40"]\n  }\n}\n',
    );
    await expect(readProxyConfig(file)).rejects.toThrow(
      `${file}:4:19: network.blockCIDR[0]: invalid CIDR "10.0.0.0/40": the prefix length 40 is over 32; fix the file, or replace it with a valid one`,
    );
  });

  it('refuses an update whose result would be invalid, leaving the file alone', async () => {
    await using home = await tempHome();
    const file = join(home.dir, 'p.json');
    await writeFile(file, '{"allowHosts": ["a.com"]}');
    await expect(
      updateProxyConfig(file, (config) => {
        config.blockCidrs.push('300.0.0.0/8');
      }),
    ).rejects.toMatchObject({
      code: 'SBX_CONFIG_INVALID',
      message: `not saved, ${file} would become invalid: blockCidrs[0]: invalid CIDR "300.0.0.0/8": the address must be written as four decimal numbers (a.b.c.d)`,
    });
    expect(await readFile(file, 'utf8')).toBe('{"allowHosts": ["a.com"]}');
  });

  it('writes updates in full, 0600, and reports before, after and whether anything changed', async () => {
    await using home = await tempHome();
    const file = join(home.dir, 'p.json');
    await writeFile(file, '{"allowHosts": ["a.com"]}');
    const update = await updateProxyConfig(file, (config) => ({ ...config, policy: 'deny' }));
    const after = {
      ...builtinProxyConfig(),
      credentials: [],
      allowHosts: ['a.com'],
      policy: 'deny',
    };
    expect(update).toEqual({ before: { ...after, policy: 'allow' }, after, changed: true });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(after);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await updateProxyConfig(file, () => undefined)).changed).toBe(false);
  });

  it("creates the default policy once and never overwrites the user's edits", async () => {
    await using home = await tempHome();
    const path = await ensureDefaultProxyConfig();
    expect(path).toBe(join(home.dir, 'sandboxd', 'proxy-config.json'));
    expect(await readProxyConfig(path)).toEqual(builtinProxyConfig());
    expect((await stat(join(home.dir, 'sandboxd'))).mode & 0o777).toBe(0o700);
    await updateProxyConfig(path, (config) => {
      config.policy = 'deny';
    });
    await ensureDefaultProxyConfig();
    expect((await readProxyConfig(path)).policy).toBe('deny');
  });

  it('gives a new sandbox a copy of the default policy and keeps an existing one', async () => {
    await using home = await tempHome();
    await updateProxyConfig(await ensureDefaultProxyConfig(), (config) => {
      config.blockHosts.push('*.example.com');
    });
    const path = await createSandboxProxyConfig('box');
    expect(path).toBe(join(home.dir, 'docker', 'sandboxes', 'vm', 'box', 'proxy-config.json'));
    expect((await readProxyConfig(path)).blockHosts).toEqual(['*.example.com']);
    await updateProxyConfig(path, (config) => {
      config.blockHosts = [];
    });
    await createSandboxProxyConfig('box');
    expect((await readProxyConfig(path)).blockHosts).toEqual([]);
    await expect(createSandboxProxyConfig('../escape')).rejects.toMatchObject({
      code: 'SBX_CONFIG_BAD_NAME',
    });
  });

  it('resets a corrupt file, the way out its error message offers', async () => {
    await using home = await tempHome();
    const file = join(home.dir, 'p.json');
    await writeFile(file, '{ nope');
    expect(await resetProxyConfig(file, builtinProxyConfig())).toEqual({
      before: undefined,
      after: builtinProxyConfig(),
      changed: true,
    });
    expect(await readProxyConfig(file)).toEqual(builtinProxyConfig());
  });
});
