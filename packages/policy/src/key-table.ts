// An open-addressing map from keys (canonical host names and their suffixes) to small integers.
// An entry is ENTRY ints [hash + 1 (0: empty), key index, key length, value] in one typed
// array, so a probe for a missing key reads one cache line and no key, and a hit finds its
// value beside the hash. (Keys packed as bytes beside the entries were tried: comparing them in
// JS cost more than the cache misses they saved, measured at 100,000 rules.)

const ENTRY = 4;
const NONE = -1;

/** Hash step over a name read right to left; kept in Smi range. */
export function step(h: number, c: number): number {
  return Math.imul(h ^ c, 0x01000193) & 0x3fffffff;
}

export const SEED = 0x811c9dc5 & 0x3fffffff;

/** The hash of a whole key, as lookups compute it right to left. */
export function keyHash(text: string): number {
  let h = SEED;
  for (let i = text.length - 1; i >= 0; i--) h = step(h, text.charCodeAt(i));
  return h;
}

export class KeyTable {
  private table = new Int32Array(16 * ENTRY);
  private mask = 15;
  private readonly keys: string[] = [];
  size = 0;

  /** The entry holding `host[host.length - len..]` whose hash is `h`, or NONE. */
  findTail(host: string, len: number, h: number): number {
    const t = this.table;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const at = i * ENTRY;
      const stored = t[at]!;
      if (stored === 0) return NONE;
      if (stored !== h + 1 || t[at + 2] !== len) continue;
      const key = this.keys[t[at + 1]!]!;
      if (len === host.length ? host === key : host.endsWith(key)) return at;
    }
  }

  /** The value stored in entry `at`. */
  value(at: number): number {
    return this.table[at + 3]!;
  }

  setValue(at: number, value: number): void {
    this.table[at + 3] = value;
  }

  /** The entry of `key`, added with value NONE when missing. */
  intern(key: string): number {
    const h = keyHash(key);
    const found = this.findTail(key, key.length, h);
    if (found !== NONE) return found;
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    this.size++;
    return this.place(h, this.keys.push(key) - 1, key.length, NONE);
  }

  private place(h: number, key: number, len: number, value: number): number {
    const t = this.table;
    let i = h & this.mask;
    while (t[i * ENTRY] !== 0) i = (i + 1) & this.mask;
    const at = i * ENTRY;
    t[at] = h + 1;
    t[at + 1] = key;
    t[at + 2] = len;
    t[at + 3] = value;
    return at;
  }

  private grow(): void {
    const old = this.table;
    this.table = new Int32Array(old.length * 2);
    this.mask = this.mask * 2 + 1;
    for (let at = 0; at < old.length; at += ENTRY)
      if (old[at] !== 0) this.place(old[at]! - 1, old[at + 1]!, old[at + 2]!, old[at + 3]!);
  }
}
