import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sbx-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('writes a 0600 file, creating 0700 directories, and leaves no temp file', async () => {
    const file = join(dir, 'a', 'b', 'x.json');
    await writeFileAtomic(file, '{"v":1}\n');
    expect(await readFile(file, 'utf8')).toBe('{"v":1}\n');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'a'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'a', 'b'))).mode & 0o777).toBe(0o700);
    expect(await readdir(join(dir, 'a', 'b'))).toEqual(['x.json']);
  });

  it('replaces a file, tightening its mode', async () => {
    const file = join(dir, 'x.json');
    await writeFile(file, 'old', { mode: 0o644 });
    await writeFileAtomic(file, 'new');
    expect(await readFile(file, 'utf8')).toBe('new');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it("removes temp files left by killed writers, but not other files' or live writers'", async () => {
    const file = join(dir, 'x.json');
    const dead = '.x.json.999999999.0123456789ab.tmp';
    const live = `.x.json.${process.pid}.0123456789ab.tmp`;
    const other = '.y.json.999999999.0123456789ab.tmp';
    for (const name of [dead, live, other]) await writeFile(join(dir, name), 'partial');
    await writeFileAtomic(file, 'new');
    expect((await readdir(dir)).sort()).toEqual([live, other, 'x.json'].sort());
  });

  it('fails with SBX_CONFIG_IO naming the file when the directory cannot be created', async () => {
    await writeFile(join(dir, 'plain'), '');
    const file = join(dir, 'plain', 'x.json');
    await expect(writeFileAtomic(file, 'x')).rejects.toMatchObject({
      code: 'SBX_CONFIG_IO',
      file,
    });
  });
});
