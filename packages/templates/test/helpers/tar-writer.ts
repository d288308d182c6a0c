import { gzipSync } from 'node:zlib';

/** A tar entry for tests that need archives no honest tool would write. */
export interface Entry {
  name: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'fifo' | 'pax';
  data?: string | Buffer;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  /** Declared size when it should differ from the data (hostile archives). */
  size?: number;
  /** Extended attributes, written as PAX `SCHILY.xattr.<name>` records (as Go's archive/tar and GNU tar do). */
  xattrs?: Record<string, string | Buffer>;
}

const FLAGS = {
  pax: 'x',
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  dir: '5',
  fifo: '6',
} as const;

function header(name: string, flag: string, size: number, e: Entry): Buffer {
  const h = Buffer.alloc(512);
  const oct = (v: number, off: number, len: number) =>
    h.write(`${v.toString(8).padStart(len - 1, '0')}\0`, off, 'latin1');
  h.write(name, 0, 100, 'utf8');
  oct(e.mode ?? (flag === '5' ? 0o755 : 0o644), 100, 8);
  oct(e.uid ?? 0, 108, 8);
  oct(e.gid ?? 0, 116, 8);
  oct(size, 124, 12);
  oct(e.mtime ?? 1700000000, 136, 12);
  h.write(flag, 156, 'latin1');
  h.write(e.linkname ?? '', 157, 100, 'utf8');
  h.write('ustar\x0000', 257, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

function pad(b: Buffer): Buffer {
  const rem = b.length % 512;
  return rem === 0 ? b : Buffer.concat([b, Buffer.alloc(512 - rem)]);
}

function paxRecord(key: string, value: string | Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), Buffer.from(value), Buffer.from('\n')]);
  let len = body.length + 1;
  while (`${len}`.length + body.length !== len) len++;
  return Buffer.concat([Buffer.from(`${len}`), body]);
}

/** Writes a tar archive (ustar, PAX records for long names), optionally without the end blocks. */
export function tar(entries: Entry[], options: { end?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const type = e.type ?? 'file';
    const data = Buffer.from(e.data ?? '');
    let name = e.name;
    const records: Buffer[] = [];
    if (Buffer.byteLength(name) > 99 || Buffer.byteLength(e.linkname ?? '') > 99) {
      records.push(paxRecord('path', name));
      if (e.linkname) records.push(paxRecord('linkpath', e.linkname));
      name = name.slice(0, 99);
    }
    for (const [k, v] of Object.entries(e.xattrs ?? {}))
      records.push(paxRecord(`SCHILY.xattr.${k}`, v));
    if (records.length > 0) {
      const pax = Buffer.concat(records);
      parts.push(header('PaxHeader', 'x', pax.length, { name: 'PaxHeader' }), pad(pax));
    }
    parts.push(header(name, FLAGS[type], e.size ?? data.length, e));
    if (data.length > 0) parts.push(pad(data));
  }
  if (options.end !== false) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export function tgz(entries: Entry[]): Buffer {
  return gzipSync(tar(entries));
}
