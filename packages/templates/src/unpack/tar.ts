/** One tar entry's header after PAX and GNU long-name records are folded in. */
export interface TarHeader {
  name: string;
  type: TarType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch (fractional with PAX). */
  mtime: number;
  linkname: string;
  /** Extended attributes from PAX `SCHILY.xattr.<name>` records, values as raw bytes. */
  xattrs?: ReadonlyMap<string, Buffer>;
}

export type TarType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

/** The sink a parser feeds, synchronously: an entry, its body in slices, its end. */
export interface TarSink {
  entry(header: TarHeader): void;
  data(chunk: Buffer): void;
  entryEnd(): void;
}

export class TarFormatError extends Error {}

const BLOCK = 512;
/** PAX and GNU long-name records are held in memory, so they are capped. */
const MAX_META = 1 << 20;
const TYPES: Record<string, TarType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'dir',
  '6': 'fifo',
};

type Meta = 'pax' | 'global' | 'longname' | 'longlink';
const META_TYPES: Record<string, Meta> = { x: 'pax', g: 'global', L: 'longname', K: 'longlink' };

/**
 * A push parser for ustar, GNU (long names, base-256 numbers) and PAX archives. Written here
 * rather than taken from tar-stream so bodies reach the sink as zero-copy slices, synchronously,
 * without a stream object per entry: the unpacker's hot path.
 */
export class TarParser {
  private readonly head = Buffer.alloc(BLOCK);
  private headLen = 0;
  private remaining = 0;
  private padding = 0;
  private meta: Meta | undefined;
  private metaBufs: Buffer[] = [];
  private pending: Partial<TarHeader> = {};
  private global: Partial<TarHeader> = {};
  private inEntry = false;
  private zeroBlocks = 0;
  private done = false;
  /** Entries seen, for error messages. */
  entries = 0;

  constructor(private readonly sink: TarSink) {}

  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length && !this.done) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - off);
        const slice = chunk.subarray(off, off + n);
        if (this.meta) this.metaBufs.push(Buffer.from(slice));
        else this.sink.data(slice);
        this.remaining -= n;
        off += n;
        if (this.remaining === 0) this.finishBody();
        continue;
      }
      if (this.padding > 0) {
        const n = Math.min(this.padding, chunk.length - off);
        this.padding -= n;
        off += n;
        continue;
      }
      const n = Math.min(BLOCK - this.headLen, chunk.length - off);
      chunk.copy(this.head, this.headLen, off, off + n);
      this.headLen += n;
      off += n;
      if (this.headLen === BLOCK) {
        this.headLen = 0;
        this.header(this.head);
      }
    }
  }

  /** Call at end of input: throws when the archive stopped inside an entry. */
  end(): void {
    if (this.remaining > 0 || this.inEntry || this.meta) {
      throw new TarFormatError('the archive is truncated inside an entry');
    }
    if (this.headLen > 0) throw new TarFormatError('the archive is truncated inside a header');
  }

  private finishBody(): void {
    this.padding = (BLOCK - (this.bodySize % BLOCK)) % BLOCK;
    if (this.meta) {
      const body = Buffer.concat(this.metaBufs);
      this.metaBufs = [];
      const kind = this.meta;
      this.meta = undefined;
      if (kind === 'longname') this.pending.name = cstr(body, 0, body.length);
      else if (kind === 'longlink') this.pending.linkname = cstr(body, 0, body.length);
      else parsePax(body, kind === 'global' ? this.global : this.pending);
      return;
    }
    this.inEntry = false;
    this.sink.entryEnd();
  }

  private bodySize = 0;

  private header(h: Buffer): void {
    if (isZero(h)) {
      if (++this.zeroBlocks === 2) this.done = true;
      return;
    }
    if (this.zeroBlocks > 0) throw new TarFormatError('a zero block is followed by more headers');
    if (!checksumOk(h))
      throw new TarFormatError(`bad header checksum after ${this.entries} entries`);
    const flag = String.fromCharCode(h[156]!);
    const size = num(h, 124, 12);
    const meta = META_TYPES[flag];
    if (meta) {
      if (size > MAX_META)
        throw new TarFormatError(`a ${meta} record of ${size} bytes is too large`);
      this.beginBody(size, meta);
      return;
    }
    const type = TYPES[flag];
    if (!type) throw new TarFormatError(`unsupported tar entry type ${JSON.stringify(flag)}`);
    const ustar = h.toString('latin1', 257, 263) === 'ustar\0';
    let name = cstr(h, 0, 100);
    if (ustar) {
      const prefix = cstr(h, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    const p = { ...this.global, ...this.pending };
    this.pending = {};
    const header: TarHeader = {
      name: p.name ?? name,
      type,
      mode: num(h, 100, 8),
      uid: p.uid ?? num(h, 108, 8),
      gid: p.gid ?? num(h, 116, 8),
      size: type === 'file' ? (p.size ?? size) : 0,
      mtime: p.mtime ?? num(h, 136, 12),
      linkname: p.linkname ?? cstr(h, 157, 100),
    };
    if (p.xattrs) header.xattrs = p.xattrs;
    this.entries++;
    this.inEntry = true;
    this.sink.entry(header);
    this.beginBody(header.size, undefined);
  }

  private beginBody(size: number, meta: Meta | undefined): void {
    this.meta = meta;
    this.bodySize = size;
    this.remaining = size;
    if (size === 0) this.finishBody();
  }
}

function isZero(b: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

function checksumOk(b: Buffer): boolean {
  const want = num(b, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const v = i >= 148 && i < 156 ? 32 : b[i]!;
    unsigned += v;
    signed += v > 127 ? v - 256 : v;
  }
  return want === unsigned || want === signed;
}

function cstr(b: Buffer, off: number, len: number): string {
  let end = off;
  const max = off + len;
  while (end < max && b[end] !== 0) end++;
  return b.toString('utf8', off, end);
}

/** Octal ASCII, or GNU base-256 when the high bit of the first byte is set. */
function num(b: Buffer, off: number, len: number): number {
  const first = b[off]!;
  if (first & 0x80) {
    if (first === 0xff)
      throw new TarFormatError('negative numbers in tar headers are not supported');
    let v = first & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + b[off + i]!;
    if (!Number.isSafeInteger(v)) throw new TarFormatError('a tar header number is too large');
    return v;
  }
  let v = 0;
  let i = off;
  const end = off + len;
  while (i < end && (b[i] === 0x20 || b[i] === 0x30)) i++;
  for (; i < end; i++) {
    const c = b[i]!;
    if (c === 0 || c === 0x20) break;
    if (c < 0x30 || c > 0x37) throw new TarFormatError('a tar header number is not octal');
    v = v * 8 + (c - 0x30);
  }
  return v;
}

const XATTR = 'SCHILY.xattr.';

function parsePax(body: Buffer, into: Partial<TarHeader>): void {
  // A copy, made once: a global header's map is shared by every entry after it.
  let xattrs: Map<string, Buffer> | undefined;
  let off = 0;
  while (off < body.length) {
    const sp = body.indexOf(0x20, off);
    if (sp < 0) break;
    const len = Number.parseInt(body.toString('latin1', off, sp), 10);
    if (!Number.isInteger(len) || len <= 0 || off + len > body.length) {
      throw new TarFormatError('a PAX record has a bad length');
    }
    const end = off + len - 1;
    off += len;
    const eq = body.indexOf(0x3d, sp + 1);
    if (eq < 0 || eq >= end) continue;
    const key = body.toString('utf8', sp + 1, eq);
    if (key.startsWith(XATTR)) {
      // Values are bytes (security.capability is a binary struct): never decoded as text.
      xattrs ??= new Map(into.xattrs);
      xattrs.set(key.slice(XATTR.length), Buffer.from(body.subarray(eq + 1, end)));
      continue;
    }
    const value = body.toString('utf8', eq + 1, end);
    switch (key) {
      case 'path':
        into.name = value;
        break;
      case 'linkpath':
        into.linkname = value;
        break;
      case 'size':
      case 'uid':
      case 'gid': {
        const n = Number(value);
        if (!Number.isSafeInteger(n) || n < 0)
          throw new TarFormatError(`PAX ${key} "${value}" is invalid`);
        into[key] = n;
        break;
      }
      case 'mtime': {
        const n = Number(value);
        if (Number.isFinite(n)) into.mtime = n;
        break;
      }
      default:
        if (key.startsWith('GNU.sparse'))
          throw new TarFormatError('sparse tar entries are not supported');
    }
  }
  if (xattrs) into.xattrs = xattrs;
}
