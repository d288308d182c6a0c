import { execFileSync } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import pkg from '../package.json' with { type: 'json' };
import { configHome } from './config-home.ts';
import { SBX_BIN } from './run-sbx.ts';

function findDocker(): string | undefined {
  try {
    return (
      execFileSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}
const docker = findDocker();
if (!docker)
  console.warn(
    'plugin tests through docker skipped: no `docker` client on PATH (Debian: docker.io)',
  );

const PLUGIN_ENTRY = join(SBX_BIN, '..', 'plugin.js');

describe('the Docker CLI plugin', { timeout: 60_000 }, () => {
  it('install-plugin writes an executable docker-sandbox that answers the metadata call', async () => {
    await using home = await configHome();
    const path = join(home.env.DOCKER_CONFIG, 'cli-plugins', 'docker-sandbox');
    expect(await home.sbx(['install-plugin'])).toEqual({
      code: 0,
      stdout: `Installed the Docker CLI plugin: ${path}\nTry: docker sandbox --help\n`,
      stderr: '',
    });
    expect(await readFile(path, 'utf8')).toBe(
      `#!/bin/sh\n# docker-sandbox: Docker CLI plugin installed by sbx install-plugin\nexec '${process.execPath}' '${PLUGIN_ENTRY}' "$@"\n`,
    );
    expect((await stat(path)).mode & 0o777).toBe(0o755);
    const metadata = await home.sbx(['docker-cli-plugin-metadata'], { bin: [path] });
    expect(JSON.parse(metadata.stdout)).toEqual({
      SchemaVersion: '0.1.0',
      Vendor: 'sbx',
      Version: pkg.version,
      ShortDescription: 'Run AI coding agents in isolated sandboxes (sbx)',
    });
    expect(await home.sbx(['uninstall-plugin'])).toEqual({
      code: 0,
      stdout: `Removed the Docker CLI plugin: ${path}\n`,
      stderr: '',
    });
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('never replaces or removes a docker-sandbox plugin that sbx did not install, unless forced', async () => {
    await using home = await configHome();
    const dir = join(home.env.DOCKER_CONFIG, 'cli-plugins');
    const path = join(dir, 'docker-sandbox');
    await mkdir(dir, { recursive: true });
    await writeFile(path, '#!/bin/sh\necho docker desktop\n', { mode: 0o755 });
    const refusal = `sbx: ${path} was not installed by sbx (Docker Desktop's own plugin?); rerun with --force to`;
    expect(await home.sbx(['install-plugin'])).toEqual({
      code: 1,
      stdout: '',
      stderr: `${refusal} replace it\n`,
    });
    expect(await home.sbx(['uninstall-plugin'])).toEqual({
      code: 1,
      stdout: '',
      stderr: `${refusal} remove it\n`,
    });
    expect(await readFile(path, 'utf8')).toBe('#!/bin/sh\necho docker desktop\n');
    expect((await home.sbx(['install-plugin', '--force'])).code).toBe(0);
    expect(await readFile(path, 'utf8')).toMatch(/installed by sbx install-plugin/);
  });

  it.skipIf(!docker)('runs as `docker sandbox …` through the real docker client', async () => {
    await using home = await configHome();
    await home.sbx(['install-plugin']);
    await home.sandbox('box');
    const viaDocker = (args: string[]) => home.sbx(['sandbox', ...args], { bin: [docker!] });

    const listed = await home.sbx(['--help'], { bin: [docker!] });
    expect(listed.stdout).toMatch(
      /\n {2}sandbox\* +Run AI coding agents in isolated sandboxes \(sbx\)\n/,
    );

    const help = await viaDocker(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: docker sandbox <command> \[options\]\n/);
    expect(help.stdout).toMatch(/\n {2}docker sandbox network <command> /);

    const changed = await viaDocker(['network', 'proxy', 'box', '--allow-host', 'api.example.com']);
    expect(changed).toEqual({
      code: 0,
      stdout: `Updated the sandbox "box" (${home.policyOf('box')}):\n  + allowHosts  api.example.com\n`,
      stderr: '',
    });
    const shown = await viaDocker(['network', 'proxy', 'box', '--show', '--json']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toBe(
      (await home.sbx(['network', 'proxy', 'box', '--show', '--json'])).stdout,
    );
    expect(JSON.parse(shown.stdout).rules[0]).toEqual({
      kind: 'host',
      action: 'allow',
      pattern: 'api.example.com',
      explicit: true,
      source: 'allowHosts[0]',
    });

    const bad = await viaDocker(['network', 'proxy', 'box', '--allow-cidr', '10.0.0.0/40']);
    expect(bad).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'docker sandbox: --allow-cidr: invalid CIDR "10.0.0.0/40": the prefix length 40 is over 32\n',
    });
  });
});
