import { createReadStream } from 'node:fs';
import { appendFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';

export interface RequestLogOptions {
  /** Bytes the current file may reach before it is rotated. */
  maxBytes?: number;
  /** Rotated files kept (`requests.jsonl.1` … `.N`); older ones are deleted. */
  keep?: number;
}

/**
 * The JSONL request log of one sandbox, bounded: at `maxBytes` the file moves to `.1`
 * (older ones shift up to `.keep`), so the log never exceeds (keep + 1) × maxBytes.
 * Appends are serialised so lines never interleave.
 */
export class RequestLog {
  readonly path: string;
  readonly #maxBytes: number;
  readonly #keep: number;
  #size: number | undefined;
  #queue: Promise<void> = Promise.resolve();

  constructor(path: string, options: RequestLogOptions = {}) {
    this.path = path;
    this.#maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
    this.#keep = options.keep ?? 3;
  }

  /** Queues one event; the returned promise settles once it is on disk. */
  append(event: object): Promise<void> {
    const line = `${JSON.stringify(event)}\n`;
    const write = this.#queue.then(() => this.#write(line));
    this.#queue = write.catch(() => {});
    return write;
  }

  /** Settles when every queued event is written. */
  flush(): Promise<void> {
    return this.#queue;
  }

  async #write(line: string): Promise<void> {
    if (this.#size === undefined) {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      this.#size = await stat(this.path).then(
        (s) => s.size,
        () => 0,
      );
    }
    const bytes = Buffer.byteLength(line);
    if (this.#size > 0 && this.#size + bytes > this.#maxBytes) await this.#rotate();
    await appendFile(this.path, line, { mode: 0o600 });
    this.#size += bytes;
  }

  async #rotate(): Promise<void> {
    await rm(`${this.path}.${this.#keep}`, { force: true });
    for (let n = this.#keep - 1; n >= 1; n--) {
      await rename(`${this.path}.${n}`, `${this.path}.${n + 1}`).catch(() => {});
    }
    await rename(this.path, `${this.path}.1`);
    this.#size = 0;
  }
}

/** The last `limit` events of a log, oldest first, reading rotated files too when needed. */
export async function readRequestLog(path: string, limit: number, keep = 3): Promise<unknown[]> {
  const files = [path];
  for (let n = 1; n <= keep; n++) files.push(`${path}.${n}`);
  let events: unknown[] = [];
  for (const file of files) {
    const lines = await readLines(file);
    events = [...lines, ...events];
    if (events.length >= limit) break;
  }
  return events.slice(Math.max(0, events.length - limit));
}

async function readLines(file: string): Promise<unknown[]> {
  const out: unknown[] = [];
  const stream = createReadStream(file, 'utf8');
  try {
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
      if (!line) continue;
      try {
        out.push(JSON.parse(line));
      } catch {
        // A line cut by a crash is skipped, not fatal.
      }
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return out;
}
