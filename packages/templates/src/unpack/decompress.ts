import { Transform } from 'node:stream';
import zlib from 'node:zlib';
import { Decompress } from 'fzstd';

export type Compression = 'gzip' | 'zstd' | 'none';

/** Sniffs the compression from the first bytes: layers are often mislabelled, magic is not. */
export function sniffCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

const CHUNK = 256 * 1024;
const AHEAD = 16 << 20;

type ZstdFactory = (options: { chunkSize: number }) => Transform;
const nativeZstd = (zlib as unknown as { createZstdDecompress?: ZstdFactory }).createZstdDecompress;

/**
 * A decompressing transform, or undefined for plain tar. zstd uses node:zlib when it has it
 * (Node >= 22.15) and otherwise fzstd, a pure-JS decoder: no native build, no system tool.
 */
export function decompressor(kind: Compression): Transform | undefined {
  // A deep readable buffer lets gunzip run ahead on the thread pool while the entries are written.
  if (kind === 'gzip')
    return zlib.createGunzip({
      chunkSize: CHUNK,
      readableHighWaterMark: AHEAD,
    } as zlib.ZlibOptions);
  if (kind === 'zstd') return nativeZstd ? nativeZstd({ chunkSize: CHUNK }) : fzstdTransform();
  return undefined;
}

/** Whether zstd layers decode natively here (reported by `sbx template` diagnostics and tests). */
export const hasNativeZstd = nativeZstd !== undefined;

export function fzstdTransform(): Transform {
  let out: Transform;
  let ended = false;
  const d = new Decompress((data, final) => {
    if (data.length > 0) out.push(Buffer.from(data.buffer, data.byteOffset, data.length));
    if (final) ended = true;
  });
  out = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      try {
        d.push(chunk);
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
    flush(cb) {
      try {
        d.push(new Uint8Array(0), true);
        cb(ended ? undefined : new Error('unexpected end of zstd stream'));
      } catch (err) {
        cb(err as Error);
      }
    },
  });
  return out;
}
