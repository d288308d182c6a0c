import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RequestLog, readRequestLog } from './request-log.ts';

describe('RequestLog', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sbx-log-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the log bounded by rotating into numbered files', async () => {
    const log = new RequestLog(join(dir, 'logs', 'requests.jsonl'), { maxBytes: 1000, keep: 2 });
    const writes = [];
    for (let i = 0; i < 200; i++) writes.push(log.append({ i, pad: 'x'.repeat(40) }));
    await Promise.all(writes);
    const files = (await readdir(join(dir, 'logs'))).sort();
    expect(files).toEqual(['requests.jsonl', 'requests.jsonl.1', 'requests.jsonl.2']);
    for (const file of files) {
      expect((await stat(join(dir, 'logs', file))).size).toBeLessThanOrEqual(1000);
    }
    const last = await readRequestLog(join(dir, 'logs', 'requests.jsonl'), 5, 2);
    expect(last.map((e) => (e as { i: number }).i)).toEqual([195, 196, 197, 198, 199]);
  });

  it('reads across rotated files, oldest first, and skips a line cut by a crash', async () => {
    const path = join(dir, 'requests.jsonl');
    const log = new RequestLog(path, { maxBytes: 30, keep: 3 });
    for (let i = 0; i < 4; i++) await log.append({ i, p: 'yyyyyyyyyy' });
    const { appendFile } = await import('node:fs/promises');
    await appendFile(path, '{"i": 9, "cut');
    expect(await readRequestLog(path, 10, 3)).toEqual([
      { i: 0, p: 'yyyyyyyyyy' },
      { i: 1, p: 'yyyyyyyyyy' },
      { i: 2, p: 'yyyyyyyyyy' },
      { i: 3, p: 'yyyyyyyyyy' },
    ]);
  });

  it('reads an absent log as empty', async () => {
    expect(await readRequestLog(join(dir, 'none.jsonl'), 10)).toEqual([]);
  });
});
