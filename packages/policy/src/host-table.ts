import type { HostPattern } from './pattern.ts';

const DOT = 0x2e;
const NONE = -1;
// Past this many ports on one host, its ports move from a list to a Map: lookups stay flat.
const LIST_MAX = 8;
const IN_MAP = -2;
// Up to this many exact hosts, a Map (V8 hashes names natively, faster than a loop in JS);
// past it, the open-addressing table, whose misses stay in one cache line.
const SMALL_EXACT = 4096;

/** Hash step over a name read right to left; kept in Smi range so Map keys stay cheap. */
function step(h: number, c: number): number {
  return Math.imul(h ^ c, 0x01000193) & 0x3fffffff;
}

const SEED = 0x811c9dc5 & 0x3fffffff;

export function suffixHash(text: string): number {
  let h = SEED;
  for (let i = text.length - 1; i >= 0; i--) h = step(h, text.charCodeAt(i));
  return h;
}

/**
 * Open addressing over our own hash, as pairs [hash + 1 (0: empty), id] in one typed array,
 * at most half full: a lookup of a name that is not there reads one cache line and no key.
 */
class Index {
  table = new Int32Array(16);
  mask = 7;
  size = 0;

  insert(hash: number, id: number): void {
    if ((this.size + 1) * 2 > this.mask + 1) {
      const old = this.table;
      this.table = new Int32Array(old.length * 2);
      this.mask = old.length - 1;
      for (let i = 0; i < old.length; i += 2)
        if (old[i] !== 0) this.place(old[i]! - 1, old[i + 1]!);
    }
    this.place(hash, id);
    this.size++;
  }

  private place(hash: number, id: number): void {
    let i = hash & this.mask;
    while (this.table[i * 2] !== 0) i = (i + 1) & this.mask;
    this.table[i * 2] = hash + 1;
    this.table[i * 2 + 1] = id;
  }
}

/**
 * Host patterns indexed so that a lookup costs the same for 10 or 100,000 patterns: open
 * addressing over a hash for exact hosts, a reversed-label trie for wildcards, one slot for
 * catch-alls. The trie is flat: every suffix of every wildcard (`com`, `example.com`) is keyed
 * by a hash computed right to left, so a lookup reads the host once, allocates nothing, and
 * stops probing at the first suffix no wildcard ends with; the same pass ends with the hash of
 * the whole name, the exact hosts' key. A lookup returns the value of the most specific pattern.
 *
 * Memory is kept in flat arrays indexed by small integers rather than an object per pattern:
 * a "slot" (what one exact host or wildcard suffix holds) is an index into `anyValue` (the
 * value for every port) and `portHead` (a short list of single-port values).
 */
export class HostTable<T> {
  private readonly exactMap = new Map<string, number>();
  private readonly exactIndex = new Index();
  private exactLarge = false;
  private readonly exactText: string[] = [];
  private readonly exactSlot: number[] = [];
  private readonly suffixIndex = new Index();
  private readonly suffixText: string[] = [];
  private readonly suffixSlot: number[] = [];
  private readonly anyValue: (T | undefined)[] = [];
  private readonly portHead: number[] = [];
  private readonly portNumber: number[] = [];
  private readonly portValue: T[] = [];
  private readonly portNext: number[] = [];
  private readonly portMaps = new Map<number, Map<number, T>>();
  private readonly catchAll = this.newSlot();

  /** Stores `value` for `pattern`; `merge` decides when the same pattern is added twice. */
  add(pattern: HostPattern, value: T, merge: (old: T, added: T) => T): void {
    let slot: number;
    if (pattern.kind === 'any') slot = this.catchAll;
    else if (pattern.kind === 'exact') {
      slot = this.exactSlotOf(pattern.host);
    } else {
      const host = pattern.host;
      for (let dot = host.lastIndexOf('.'); dot >= 0; dot = host.lastIndexOf('.', dot - 1)) {
        this.suffix(host.slice(dot + 1));
      }
      const s = this.suffix(host);
      if (this.suffixSlot[s] === NONE) this.suffixSlot[s] = this.newSlot();
      slot = this.suffixSlot[s]!;
    }
    if (pattern.port === 0) {
      const old = this.anyValue[slot];
      this.anyValue[slot] = old === undefined ? value : merge(old, value);
    } else {
      const old = this.get(slot, pattern.port, false);
      this.setPort(slot, pattern.port, old === undefined ? value : merge(old, value));
    }
  }

  private newSlot(): number {
    this.anyValue.push(undefined);
    return this.portHead.push(NONE) - 1;
  }

  private setPort(slot: number, port: number, value: T): void {
    const head = this.portHead[slot]!;
    if (head === IN_MAP) {
      this.portMaps.get(slot)!.set(port, value);
      return;
    }
    let count = 0;
    for (let p = head; p !== NONE; p = this.portNext[p]!, count++) {
      if (this.portNumber[p] === port) {
        this.portValue[p] = value;
        return;
      }
    }
    if (count < LIST_MAX) {
      this.portNumber.push(port);
      this.portValue.push(value);
      this.portHead[slot] = this.portNext.push(head) - 1;
      return;
    }
    const map = new Map<number, T>([[port, value]]);
    for (let p = head; p !== NONE; p = this.portNext[p]!)
      map.set(this.portNumber[p]!, this.portValue[p]!);
    this.portMaps.set(slot, map);
    this.portHead[slot] = IN_MAP;
  }

  /** The value of `slot` for `port`: its single-port value, else (with `any`) its every-port value. */
  private get(slot: number, port: number, any = true): T | undefined {
    const head = this.portHead[slot]!;
    if (head !== NONE) {
      if (head === IN_MAP) {
        const v = this.portMaps.get(slot)!.get(port);
        if (v !== undefined) return v;
      } else {
        for (let p = head; p !== NONE; p = this.portNext[p]!) {
          if (this.portNumber[p] === port) return this.portValue[p];
        }
      }
    }
    return any ? this.anyValue[slot] : undefined;
  }

  private suffix(text: string): number {
    const h = suffixHash(text);
    const t = this.suffixIndex.table;
    const mask = this.suffixIndex.mask;
    for (let i = h & mask; t[i * 2] !== 0; i = (i + 1) & mask) {
      if (t[i * 2] === h + 1 && this.suffixText[t[i * 2 + 1]!] === text) return t[i * 2 + 1]!;
    }
    this.suffixText.push(text);
    const added = this.suffixSlot.push(NONE) - 1;
    this.suffixIndex.insert(h, added);
    return added;
  }

  private exactSlotOf(host: string): number {
    let e = this.exactLarge
      ? this.findExact(host, suffixHash(host))
      : (this.exactMap.get(host) ?? NONE);
    if (e === NONE) {
      e = this.exactText.push(host) - 1;
      this.exactSlot.push(this.newSlot());
      if (this.exactLarge) this.exactIndex.insert(suffixHash(host), e);
      else this.exactMap.set(host, e);
      if (!this.exactLarge && this.exactText.length > SMALL_EXACT) {
        this.exactLarge = true;
        for (let id = 0; id < this.exactText.length; id++) {
          this.exactIndex.insert(suffixHash(this.exactText[id]!), id);
        }
        this.exactMap.clear();
      }
    }
    return this.exactSlot[e]!;
  }

  private findExact(host: string, h: number): number {
    const t = this.exactIndex.table;
    const mask = this.exactIndex.mask;
    for (let i = h & mask; t[i * 2] !== 0; i = (i + 1) & mask) {
      if (t[i * 2] === h + 1 && this.exactText[t[i * 2 + 1]!] === host) return t[i * 2 + 1]!;
    }
    return NONE;
  }

  /** The wildcard suffix `host[host.length - len..]` hashing to `h`, or NONE. */
  private findSuffix(host: string, len: number, h: number): number {
    const t = this.suffixIndex.table;
    const mask = this.suffixIndex.mask;
    for (let i = h & mask; t[i * 2] !== 0; i = (i + 1) & mask) {
      if (t[i * 2] !== h + 1) continue;
      const text = this.suffixText[t[i * 2 + 1]!]!;
      if (text.length === len && host.endsWith(text)) return t[i * 2 + 1]!;
    }
    return NONE;
  }

  /**
   * The value of the most specific pattern matching a canonical host and port. With many exact
   * hosts, one pass right to left hashes every suffix that ends at a dot (probing for wildcards
   * until one is missing) and finally the whole name (for the exact table).
   */
  lookup(host: string, isIp: boolean, port: number): T | undefined {
    if (!this.exactLarge) {
      const e = this.exactMap.get(host);
      if (e !== undefined) {
        const v = this.get(this.exactSlot[e]!, port);
        if (v !== undefined) return v;
      }
      if (!isIp && this.suffixIndex.size > 0) {
        const v = this.lookupWildcard(host, port);
        if (v !== undefined) return v;
      }
      return this.get(this.catchAll, port);
    }
    let wild: T | undefined;
    let walking = !isIp && this.suffixIndex.size > 0;
    let h = SEED;
    for (let i = host.length - 1; i >= 0; i--) {
      const c = host.charCodeAt(i);
      // At a dot, host[i + 1..] is a suffix with a label left of it: `*.example.com` matches
      // `a.example.com` but never `example.com` itself.
      if (c === DOT && walking && i > 0) {
        const s = this.findSuffix(host, host.length - i - 1, h);
        if (s === NONE) walking = false;
        else if (this.suffixSlot[s] !== NONE) {
          const v = this.get(this.suffixSlot[s]!, port);
          if (v !== undefined) wild = v;
        }
      }
      h = step(h, c);
    }
    if (this.exactIndex.size > 0) {
      const e = this.findExact(host, h);
      if (e !== NONE) {
        const v = this.get(this.exactSlot[e]!, port);
        if (v !== undefined) return v;
      }
    }
    return wild !== undefined ? wild : this.get(this.catchAll, port);
  }

  private lookupWildcard(host: string, port: number): T | undefined {
    let found: T | undefined;
    let h = SEED;
    for (let i = host.length - 1; i > 0; i--) {
      const c = host.charCodeAt(i);
      if (c === DOT) {
        const s = this.findSuffix(host, host.length - i - 1, h);
        if (s === NONE) break;
        const slot = this.suffixSlot[s]!;
        if (slot !== NONE) {
          const v = this.get(slot, port);
          if (v !== undefined) found = v;
        }
      }
      h = step(h, c);
    }
    return found;
  }
}
