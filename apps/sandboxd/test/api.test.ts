import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SandboxdClient } from '../src/client.ts';
import { type Daemon, startDaemon } from '../src/daemon.ts';
import { createNamespaceRuntime } from '../src/namespace-runtime.ts';
import { tempHome } from './temp-home.ts';

describe('sandboxd API', () => {
  let home: Awaited<ReturnType<typeof tempHome>>;
  let daemon: Daemon;
  let client: SandboxdClient;
  let project: string;
  const logs: string[] = [];

  beforeEach(async () => {
    home = await tempHome();
    project = join(home.root, 'project');
    await mkdir(project);
    daemon = await startDaemon({
      paths: home.paths,
      runtime: await createNamespaceRuntime(),
      log: (m) => logs.push(m),
    });
    client = new SandboxdClient(home.paths.socket);
  });
  afterEach(async () => {
    await client.close();
    await daemon.close();
    await home[Symbol.asyncDispose]();
  });

  it('names sandboxes <agent>-<dir>, numbers a clash and reuses the same agent and workspace', async () => {
    const a = await client.create({
      agent: 'claude',
      workspaces: [{ path: project, readOnly: false }],
    });
    const b = await client.create({
      agent: 'claude',
      workspaces: [{ path: project, readOnly: false }],
    });
    const c = await client.create({
      agent: 'claude',
      workspaces: [{ path: project, readOnly: false }],
      reuse: true,
    });
    expect([a, b, c].map((r) => [r.sandbox.name, r.created])).toEqual([
      ['claude-project', true],
      ['claude-project-2', true],
      ['claude-project', false],
    ]);
    expect(a.sandbox).toEqual({
      version: 1,
      name: 'claude-project',
      agent: 'claude',
      template: { ref: 'docker/sandbox-templates:claude-code', digest: null },
      workspaces: [{ path: project, readOnly: false }],
      created: a.sandbox.created,
      status: 'stopped',
      dir: join(home.paths.sandboxes, 'claude-project'),
      credentialEnv: ['ANTHROPIC_API_KEY'],
    });
    const file = join(home.paths.sandboxes, 'claude-project', 'metadata.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(home.paths.sandboxes, 'claude-project'))).mode & 0o777).toBe(0o700);
    const { dir: _dir, credentialEnv: _env, ...meta } = a.sandbox;
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(meta);
  });

  it.each([
    [{ agent: 'clause', workspaces: [] }, 'SBX_SANDBOXD_UNKNOWN_AGENT', /^unknown agent "clause"/],
    [{ agent: 'shell', workspaces: [] }, 'SBX_SANDBOXD_INVALID', /^a sandbox needs a workspace/],
    [
      { agent: 'shell', workspaces: [{ path: 'rel', readOnly: false }] },
      'SBX_SANDBOXD_INVALID',
      /must be an absolute path$/,
    ],
    [
      { agent: 'shell', workspaces: [{ path: '/nonexistent-dir', readOnly: false }] },
      'SBX_SANDBOXD_INVALID',
      /is not a directory/,
    ],
    [
      { agent: 'shell', workspaces: [{ path: '/', readOnly: false }] },
      'SBX_SANDBOXD_INVALID',
      /would expose sbx's own state/,
    ],
    [
      { agent: 'shell', name: '../x', workspaces: [{ path: '/tmp', readOnly: false }] },
      'SBX_SANDBOXD_INVALID',
      /^invalid sandbox name/,
    ],
  ])('refuses %j with %s', async (request, code, message) => {
    const error = await client.create(request).catch((e) => e);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it('refuses a workspace that holds sbx state, which would let a sandbox edit its own policy', async () => {
    const error = await client
      .create({ agent: 'shell', workspaces: [{ path: home.root, readOnly: false }] })
      .catch((e) => e);
    expect(error.message).toMatch(/would expose sbx's own state/);
  });

  it('answers unknown sandboxes with a one-line hint', async () => {
    for (const call of [
      () => client.inspect('nope'),
      () => client.stop('nope'),
      () => client.remove('nope'),
      () => client.start('nope'),
    ]) {
      const error = await call().catch((e) => e);
      expect([error.code, error.message]).toEqual([
        'SBX_SANDBOXD_NOT_FOUND',
        `no sandbox named "nope": 'sbx ls' lists the sandboxes`,
      ]);
    }
  });

  it('removes a sandbox but never its workspace, and reset removes them all', async () => {
    const { sandbox } = await client.create({
      agent: 'shell',
      workspaces: [{ path: project, readOnly: false }],
    });
    await client.create({ agent: 'codex', workspaces: [{ path: project, readOnly: false }] });
    await client.remove(sandbox.name);
    expect((await client.list()).map((s) => s.name)).toEqual(['codex-project']);
    expect((await stat(project)).isDirectory()).toBe(true);
    expect(await client.reset()).toEqual({ removed: ['codex-project'] });
    expect(await client.list()).toEqual([]);
  });

  it('will not exec in a stopped sandbox', async () => {
    const { sandbox } = await client.create({
      agent: 'shell',
      workspaces: [{ path: project, readOnly: false }],
    });
    const error = await client.execDetached(sandbox.name, { cmd: ['true'] }).catch((e) => e);
    expect([error.code, error.message]).toEqual([
      'SBX_SANDBOXD_NOT_RUNNING',
      `sandbox "shell-project" is not running: start it with 'sbx run shell-project'`,
    ]);
  });
});
