import { readFile, writeFile } from 'node:fs/promises';
import { builtinProxyConfig, type ProxyConfig, toPolicyConfig } from '@sbx/config';
import { compilePolicy } from '@sbx/policy';
import { describe, expect, it } from 'vitest';
import { configHome } from './config-home.ts';

const readJson = async (path: string): Promise<ProxyConfig> =>
  JSON.parse(await readFile(path, 'utf8'));

describe('sbx network proxy', { timeout: 60_000 }, () => {
  it("adds rules with Docker's flags and prints what changed", async () => {
    await using home = await configHome();
    await home.sandbox('box');
    const file = home.policyOf('box');
    expect(
      await home.sbx([
        'network',
        'proxy',
        'box',
        '--policy',
        'deny',
        '--allow-host',
        'API.Example.com:443',
        '--allow-host',
        '*.github.com',
        '--block-host',
        '*.example.com',
        '--block-cidr',
        '203.0.113.0/24',
        '--bypass-cidr',
        '10.1.0.0/16',
      ]),
    ).toEqual({
      code: 0,
      stdout: [
        `Updated the sandbox "box" (${file}):`,
        '  policy: allow -> deny',
        '  + allowHosts   api.example.com:443',
        '  + allowHosts   *.github.com',
        '  + blockHosts   *.example.com',
        '  + blockCidrs   203.0.113.0/24',
        '  + bypassCidrs  10.1.0.0/16',
        '',
      ].join('\n'),
      stderr: '',
    });
    expect(await readJson(file)).toEqual({
      ...builtinProxyConfig(),
      policy: 'deny',
      allowHosts: ['api.example.com:443', '*.github.com'],
      blockHosts: ['*.example.com'],
      blockCidrs: ['203.0.113.0/24'],
      bypassCidrs: ['10.1.0.0/16'],
    });

    // --allow-cidr lifts the CIDR from the block and bypass lists; an allow replaces a block.
    const second = await home.sbx([
      'network',
      'proxy',
      'box',
      '--allow-cidr',
      '203.0.113.0/24',
      '--allow-cidr',
      '10.1.0.0/16',
      '--allow-host',
      '*.example.com',
      '--remove-host',
      '*.GITHUB.com',
    ]);
    expect(second.stdout).toBe(
      [
        `Updated the sandbox "box" (${file}):`,
        '  - allowHosts   *.github.com',
        '  + allowHosts   *.example.com',
        '  - blockHosts   *.example.com',
        '  + allowCidrs   203.0.113.0/24',
        '  + allowCidrs   10.1.0.0/16',
        '  - blockCidrs   203.0.113.0/24',
        '  - bypassCidrs  10.1.0.0/16',
        '',
      ].join('\n'),
    );
    expect(
      await home.sbx([
        'network',
        'proxy',
        'box',
        '--remove-cidr',
        '10.0.0.0/8',
        '--remove-host',
        'x.com',
      ]),
    ).toEqual({
      code: 0,
      stdout: `No change to the sandbox "box" (${file}).\n`,
      stderr:
        'sbx: nothing to remove: x.com is in no host list\n' +
        'sbx: nothing to remove: 10.0.0.0/8 is in no CIDR list (to lift a default blocked range, use --allow-cidr)\n',
    });
  });

  it('gives a sandbox without a policy file a copy of the default policy, and edits that with --default', async () => {
    await using home = await configHome();
    await home.sandbox('box');
    const edited = await home.sbx([
      'network',
      'proxy',
      '--default',
      '--block-host',
      'ads.example.com',
    ]);
    expect(edited.stdout).toBe(
      `Updated the default policy (${home.defaultPolicy}):\n  + blockHosts  ads.example.com\n`,
    );
    await home.sbx(['network', 'proxy', 'box', '--allow-host', 'a.com']);
    expect(await readJson(home.policyOf('box'))).toEqual({
      ...builtinProxyConfig(),
      allowHosts: ['a.com'],
      blockHosts: ['ads.example.com'],
    });
  });

  it('shows the effective rules in evaluation order, defaults included, as JSON', async () => {
    await using home = await configHome();
    await home.sandbox('box');
    await home.sbx(['network', 'proxy', 'box', '--policy', 'deny', '--allow-host', 'a.com']);
    const shown = await home.sbx(['network', 'proxy', 'box', '--show', '--json']);
    const config = await readJson(home.policyOf('box'));
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toEqual({
      target: 'box',
      file: home.policyOf('box'),
      mode: 'deny',
      rules: JSON.parse(JSON.stringify(compilePolicy(toPolicyConfig(config)).rules())),
      credentials: builtinProxyConfig().credentials,
    });
    expect(JSON.parse(shown.stdout).rules.slice(0, 2)).toEqual([
      { kind: 'host', action: 'allow', pattern: 'a.com', explicit: true, source: 'allowHosts[0]' },
      { kind: 'default', action: 'block', pattern: null, source: 'policy' },
    ]);
  });

  it('shows the rules as a table for people, and with no flags at all', async () => {
    await using home = await configHome();
    await home.sandbox('box');
    const shown = await home.sbx(['network', 'proxy', 'box']);
    expect(shown.code).toBe(0);
    expect(shown.stdout.split('\n').slice(0, 5)).toEqual([
      `Rules of the sandbox "box" in evaluation order (${home.policyOf('box')}):`,
      '#   MATCH    ACTION  RULE                           FROM',
      '1   default  allow   any other host (policy allow)  policy',
      '2   cidr     block   169.254.0.0/16                 default',
      '3   cidr     block   192.168.0.0/16                 default',
    ]);
    expect(shown.stdout).toMatch(
      /\napi\.anthropic\.com {2,}x-api-key {2,}\{value\} {2,}\$ANTHROPIC_API_KEY\n/,
    );
  });

  it.each([
    [
      ['box', '--allow-host', '*.'],
      2,
      'sbx: --allow-host: invalid host pattern "*.": a wildcard needs a domain after "*."',
    ],
    [
      ['box', '--block-cidr', '10.0.0.0/33'],
      2,
      'sbx: --block-cidr: invalid CIDR "10.0.0.0/33": the prefix length 33 is over 32',
    ],
    [
      ['box', '--remove-host', 'https://a.com'],
      2,
      'sbx: --remove-host: invalid host pattern "https://a.com": remove the scheme: write "a.com"',
    ],
    [['box', '--policy', 'open'], 2, 'sbx: --policy: unknown mode "open": use allow or deny'],
    [['box', '--default'], 2, 'sbx: give a sandbox name or --default, not both'],
    [[], 2, 'sbx: name a sandbox, or use --default for the policy of new sandboxes'],
    [
      ['../x', '--show'],
      1,
      'sbx: invalid sandbox name "../x": use 1-128 letters, digits, "_", "." or "-", starting with a letter or digit',
    ],
  ])(
    'refuses %j with one line, exit code %i, and leaves the file untouched',
    async (args, code, line) => {
      await using home = await configHome();
      await home.sandbox('box');
      const file = home.policyOf('box');
      const before = '{"allowHosts": ["keep.example.com"]}\n';
      await writeFile(file, before);
      const result = await home.sbx(['network', 'proxy', ...args]);
      expect(result).toEqual({ code, stdout: '', stderr: `${line}\n` });
      expect(await readFile(file, 'utf8')).toBe(before);
    },
  );

  it('names an unknown sandbox and where it looked', async () => {
    await using home = await configHome();
    expect(await home.sbx(['network', 'proxy', 'ghost', '--allow-host', 'a.com'])).toEqual({
      code: 1,
      stdout: '',
      stderr: `sbx: no sandbox named "ghost" (${home.env.DOCKER_CONFIG}/sandboxes/vm/ghost does not exist); check the name, or use --default to edit the policy of new sandboxes (${home.defaultPolicy})\n`,
    });
  });

  it('reports a corrupt file precisely, never overwrites it, and --reset repairs it', async () => {
    await using home = await configHome();
    await home.sandbox('box');
    const file = home.policyOf('box');
    const corrupt = '{\n  "policy": "deny",\n  "alowHosts": ["a.com"]\n}\n';
    await writeFile(file, corrupt);
    expect(await home.sbx(['network', 'proxy', 'box', '--allow-host', 'b.com'])).toEqual({
      code: 1,
      stdout: '',
      stderr: `sbx: ${file}:3:3: alowHosts: unknown key; did you mean "allowHosts"?; fix the file, or reset it with "sbx network proxy box --reset"\n`,
    });
    expect(await readFile(file, 'utf8')).toBe(corrupt);
    const reset = await home.sbx(['network', 'proxy', 'box', '--reset', '--allow-host', 'b.com']);
    expect(reset.code).toBe(0);
    expect(reset.stdout.split('\n').slice(0, 3)).toEqual([
      `Updated the sandbox "box" (${file}):`,
      '  policy: (unreadable) -> allow',
      '  + allowHosts   b.com',
    ]);
    expect(await readJson(file)).toEqual({ ...builtinProxyConfig(), allowHosts: ['b.com'] });
  });
});

describe('pnpm sbx', { timeout: 60_000 }, () => {
  it('runs the built CLI from the checkout and prints nothing else', async () => {
    await using home = await configHome();
    const root = new URL('../../..', import.meta.url).pathname;
    const direct = await home.sbx(['network', 'proxy', '--default', '--show', '--json']);
    const viaPnpm = await home.sbx(['sbx', 'network', 'proxy', '--default', '--show', '--json'], {
      bin: ['pnpm'],
      cwd: root,
    });
    expect(viaPnpm).toEqual({ code: 0, stdout: direct.stdout, stderr: '' });
  });
});
