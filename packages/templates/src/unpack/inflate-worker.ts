import { Worker } from 'node:worker_threads';

/**
 * Decompresses (and hashes) a layer file on a worker thread. node:zlib's own stream needs the
 * main thread between every output chunk, so while the unpacker writes files synchronously it
 * would stall; on a worker it runs ahead, up to `AHEAD` chunks, at full speed.
 */
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createReadStream } = require('node:fs');
const { createHash } = require('node:crypto');
const zlib = require('node:zlib');
const { path, kind, hash, ahead } = workerData;
const input = createReadStream(path, { highWaterMark: 1 << 20 });
const z = kind === 'gzip' ? zlib.createGunzip({ chunkSize: 1 << 20 }) : zlib.createZstdDecompress({ chunkSize: 1 << 20 });
const h = hash ? createHash('sha256') : undefined;
let credit = ahead;
let read = 0;
input.on('data', (c) => { read += c.length; });
parentPort.on('message', () => {
  credit++;
  if (credit > 0 && z.isPaused()) z.resume();
});
z.on('data', (chunk) => {
  h && h.update(chunk);
  const copy = new Uint8Array(chunk);
  parentPort.postMessage({ chunk: copy, read }, [copy.buffer]);
  if (--credit <= 0) z.pause();
});
z.on('end', () => parentPort.postMessage({ end: true, read, digest: h ? 'sha256:' + h.digest('hex') : undefined }));
z.on('error', (e) => parentPort.postMessage({ error: e.message }));
input.on('error', (e) => parentPort.postMessage({ error: e.message }));
input.pipe(z);
`;

const AHEAD = 16;

interface Message {
  chunk?: Uint8Array;
  read: number;
  end?: boolean;
  digest?: string;
  error?: string;
}

export interface Inflated {
  chunks: AsyncIterable<Buffer>;
  /** sha256 of the decompressed stream, once `chunks` is exhausted (when hashing was asked). */
  digest(): string | undefined;
  /** Compressed bytes read so far. */
  read(): number;
}

/** Streams the decompressed bytes of `path` from a worker thread, with bounded read-ahead. */
export function inflateOnWorker(path: string, kind: 'gzip' | 'zstd', hash: boolean): Inflated {
  const worker = new Worker(SOURCE, { eval: true, workerData: { path, kind, hash, ahead: AHEAD } });
  let digest: string | undefined;
  let read = 0;
  const queue: Message[] = [];
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  worker.on('message', (m: Message) => {
    queue.push(m);
    wake?.();
  });
  worker.on('error', (err) => {
    failure = err;
    wake?.();
  });
  worker.on('exit', (code) => {
    if (code !== 0) failure ??= new Error(`the decompression worker exited with code ${code}`);
    wake?.();
  });
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      for (;;) {
        while (queue.length === 0) {
          if (failure) throw failure;
          await new Promise<void>((r) => {
            wake = r;
          });
          wake = undefined;
        }
        const m = queue.shift()!;
        read = m.read;
        if (m.error !== undefined) throw new Error(m.error);
        if (m.end) {
          digest = m.digest;
          return;
        }
        yield Buffer.from(m.chunk!.buffer, m.chunk!.byteOffset, m.chunk!.byteLength);
        worker.postMessage(0);
      }
    } finally {
      await worker.terminate();
    }
  }
  return { chunks: chunks(), digest: () => digest, read: () => read };
}
