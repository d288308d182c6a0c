import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SandboxdClient } from '../src/client.ts';
import { daemonEntry, daemonStatus, startDaemonProcess, stopDaemon } from '../src/launch.ts';
import { writeMetadata } from '../src/metadata.ts';
import { isSandboxdProcess } from '../src/process.ts';
import { tempHome } from './temp-home.ts';

describe('sandboxd process', () => {
  it('starts detached on demand with a private socket, and stops on request', async () => {
    await using home = await tempHome();
    const first = await startDaemonProcess(home.paths);
    expect(first.started).toBe(true);
    expect((await stat(home.paths.home)).mode & 0o777).toBe(0o700);
    expect((await stat(home.paths.socket)).mode & 0o777).toBe(0o600);
    expect(await startDaemonProcess(home.paths)).toEqual({ pid: first.pid, started: false });
    expect(await daemonStatus(home.paths)).toMatchObject({ running: true, pid: first.pid });
    expect(await readFile(home.paths.log, 'utf8')).toMatch(/listening on .*sandboxd\.sock\n/);
    expect(await stopDaemon(home.paths)).toEqual({ stopped: true, pid: first.pid });
    expect(await isSandboxdProcess(first.pid)).toBe(false);
    expect(await daemonStatus(home.paths)).toMatchObject({ running: false });
    await expect(stat(home.paths.socket)).rejects.toThrow(/ENOENT/);
  });

  it('stops when its socket is deleted, as no client could reach it again', async () => {
    await using home = await tempHome();
    const { pid } = await startDaemonProcess(home.paths);
    await unlink(home.paths.socket);
    while (await isSandboxdProcess(pid)) await new Promise((r) => setTimeout(r, 100));
    const log = await readFile(home.paths.log, 'utf8');
    expect(log).toContain(`${home.paths.socket} was removed or replaced: stopping`);
    expect(log).toMatch(/sandboxd stopped\n$/);
    await expect(stat(home.paths.pidFile)).rejects.toThrow(/ENOENT/);
  });

  it('refuses to start a second daemon on the same socket', async () => {
    await using home = await tempHome();
    const { pid } = await startDaemonProcess(home.paths);
    const second = spawnSync(process.execPath, [daemonEntry()], {
      env: { ...process.env, ...home.env },
      encoding: 'utf8',
    });
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(
        `sandboxd: sandboxd is already running \\(pid ${pid}\\): stop it with 'sbx daemon stop'\\n$`,
      ),
    );
    expect(await daemonStatus(home.paths)).toMatchObject({ running: true, pid });
  });

  it('clears a stale socket and pid file left by a killed daemon', async () => {
    await using home = await tempHome();
    await mkdir(home.paths.home, { recursive: true });
    const holder = spawn(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(home.paths.socket)}, () => console.log('up'))`,
    ]);
    await new Promise((resolve) => holder.stdout.once('data', resolve));
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    expect((await stat(home.paths.socket)).isSocket()).toBe(true);
    await writeFile(home.paths.pidFile, `${holder.pid}\n`);
    const { started } = await startDaemonProcess(home.paths);
    expect(started).toBe(true);
  });

  it('reports sandboxes left running by a dead daemon as stopped', async () => {
    await using home = await tempHome();
    await mkdir(join(home.root, 'work'));
    await writeMetadata(home.paths, {
      version: 1,
      name: 'shell-work',
      agent: 'shell',
      template: { ref: 'host', digest: null },
      workspaces: [{ path: join(home.root, 'work'), readOnly: false }],
      created: '2026-01-01T00:00:00.000Z',
      status: 'running',
    });
    await startDaemonProcess(home.paths);
    const client = new SandboxdClient(home.paths.socket);
    try {
      expect((await client.list()).map((s) => [s.name, s.status])).toEqual([
        ['shell-work', 'stopped'],
      ]);
      const onDisk = JSON.parse(
        await readFile(join(home.paths.sandboxes, 'shell-work', 'metadata.json'), 'utf8'),
      );
      expect(onDisk.status).toBe('stopped');
    } finally {
      await client.close();
    }
  });

  it('keeps no API key of the starting shell in its environment', async () => {
    await using home = await tempHome();
    const saved = process.env.ANTHROPIC_API_KEY;
    process.env.ANTHROPIC_API_KEY = 'sk-ant-secret-value';
    try {
      const { pid } = await startDaemonProcess(home.paths);
      const environ = await readFile(`/proc/${pid}/environ`, 'utf8');
      expect(environ.includes('sk-ant-secret-value')).toBe(false);
      expect(environ.split('\0')).toContain(`SANDBOXD_HOME=${home.paths.home}`);
    } finally {
      if (saved === undefined) delete process.env.ANTHROPIC_API_KEY;
      else process.env.ANTHROPIC_API_KEY = saved;
    }
  });
});
