import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createNamespaceDriver,
  type Driver,
  type ExecOptions,
  removeHostDirs,
  type SandboxInfo,
  type TemplateSource,
} from '../src/index.ts';
import { busyboxRootfs } from './fixtures.ts';

export interface Output {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Collects a process's piped stdout and stderr as they arrive; read them at any time. */
export function captureOutput(proc: {
  stdout?: NodeJS.ReadableStream | null;
  stderr?: NodeJS.ReadableStream | null;
}): { stdout(): string; stderr(): string } {
  let stdout = '';
  let stderr = '';
  proc.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  proc.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  return { stdout: () => stdout, stderr: () => stderr };
}

/** Runs a command to completion and collects its output. */
export async function run(driver: Driver, dir: string, options: ExecOptions): Promise<Output> {
  const proc = await driver.exec(dir, options);
  const output = captureOutput(proc);
  const { exitCode } = await proc.exited;
  return { stdout: output.stdout(), stderr: output.stderr(), exitCode };
}

export const sh = (script: string, extra: Partial<ExecOptions> = {}): ExecOptions => ({
  cmd: ['sh', '-c', script],
  ...extra,
});

/** A driver, a temp dir and helpers that create sandboxes and always clean up. */
export class Lab {
  readonly driver = createNamespaceDriver();
  readonly tmp = mkdtempSync(join(tmpdir(), 'sbx-vm-'));
  readonly rootfs = busyboxRootfs(this.tmp);
  private readonly dirs: string[] = [];

  async sandbox(
    name: string,
    template?: TemplateSource,
    readOnlyWs = false,
  ): Promise<SandboxInfo & { ws: string }> {
    const ws = join(this.tmp, `ws-${name}`);
    const ro = join(this.tmp, `ro-${name}`);
    mkdirSync(ws);
    mkdirSync(ro);
    writeFileSync(join(ro, 'keep.txt'), 'original\n');
    const dir = join(this.tmp, 'sandboxes', name);
    this.dirs.push(dir);
    const info = await this.driver.create({
      name,
      dir,
      template: template ?? { type: 'image', rootfs: this.rootfs },
      workspaces: [{ path: ws }, ...(readOnlyWs ? [{ path: ro, readOnly: true }] : [])],
    });
    // A user's project belongs to the user the sandbox user maps to.
    if (process.getuid?.() === 0) chownSync(ws, info.hostUser.uid, info.hostUser.gid);
    return { ...info, ws };
  }

  async close(): Promise<void> {
    for (const dir of this.dirs) await this.driver.remove(dir).catch(() => {});
    // Trees of the host template's `hostDirsCache` (host-install scenario) need the sandbox's root.
    await removeHostDirs(join(this.tmp, 'host-dirs'));
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

export async function withLab<T>(fn: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = new Lab();
  try {
    return await fn(lab);
  } finally {
    await lab.close();
  }
}

/** A throwaway PEM-shaped CA, only compared as text. */
export const PEM = '-----BEGIN CERTIFICATE-----\nU0JYIFRFU1QgQ0E=\n-----END CERTIFICATE-----\n';

/** A busybox httpd on the sandbox loopback, and a wait until it answers. */
export const HTTPD = ['httpd', '-f', '-p', '127.0.0.1:8080', '-h', '/var/www'];
export const PAGE = 'http://127.0.0.1:8080/index.html';
export const WAIT_FOR_HTTPD = `for i in $(seq 100); do wget -q -O- ${PAGE} 2>/dev/null && exit 0; sleep 0.05; done; exit 1`;
