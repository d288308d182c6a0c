import { KeyTable, keyHash, SEED, step } from './key-table.ts';
import type { HostPattern } from './pattern.ts';

const DOT = 0x2e;
const NONE = -1;
// Past this many ports on one host, its ports move from a list to a Map: lookups stay flat.
const LIST_MAX = 8;
const IN_MAP = -2;
// Up to this many exact hosts, a Map (V8 hashes names natively, faster than a loop in JS);
// past it, the key table, whose misses stay in one cache line.
const SMALL_EXACT = 4096;

/** The hash lookups compute over a name read right to left (exported for tests). */
export const suffixHash = keyHash;

/**
 * Host patterns indexed so that a lookup costs the same for 10 or 100,000 patterns: a hash
 * table for exact hosts, a reversed-label trie for wildcards, one slot for catch-alls. The trie
 * is flat: every suffix of every wildcard (`com`, `example.com`) is keyed by a hash computed
 * right to left, so a lookup reads the host once, allocates nothing, and stops probing at the
 * first suffix no wildcard ends with; the same pass ends with the hash of the whole name, the
 * exact hosts' key. A lookup returns the value of the most specific pattern.
 *
 * Memory is kept in flat arrays indexed by small integers rather than an object per pattern,
 * and laid out for few cache misses per lookup: a "slot" (what one exact host or wildcard
 * suffix holds) is a pair in `slots` [value for every port, head of a short list of single-port
 * values], and the key tables hold the slot beside the key's hash.
 */
export class HostTable<T> {
  private readonly exactMap = new Map<string, number>();
  private readonly exact = new KeyTable();
  private exactLarge = false;
  private readonly suffixes = new KeyTable();
  private readonly slots: (T | number | undefined)[] = [];
  private readonly portNumber: number[] = [];
  private readonly portValue: T[] = [];
  private readonly portNext: number[] = [];
  private readonly portMaps = new Map<number, Map<number, T>>();
  private readonly catchAll = this.newSlot();

  /** Stores `value` for `pattern`; `merge` decides when the same pattern is added twice. */
  add(pattern: HostPattern, value: T, merge: (old: T, added: T) => T): void {
    let slot: number;
    if (pattern.kind === 'any') slot = this.catchAll;
    else if (pattern.kind === 'exact') slot = this.exactSlotOf(pattern.host);
    else {
      const host = pattern.host;
      for (let dot = host.lastIndexOf('.'); dot >= 0; dot = host.lastIndexOf('.', dot - 1)) {
        this.suffixes.intern(host.slice(dot + 1));
      }
      const at = this.suffixes.intern(host);
      slot = this.suffixes.value(at);
      if (slot === NONE) {
        slot = this.newSlot();
        this.suffixes.setValue(at, slot);
      }
    }
    if (pattern.port === 0) {
      const old = this.slots[slot * 2] as T | undefined;
      this.slots[slot * 2] = old === undefined ? value : merge(old, value);
    } else {
      const old = this.get(slot, pattern.port, false);
      this.setPort(slot, pattern.port, old === undefined ? value : merge(old, value));
    }
  }

  private newSlot(): number {
    return this.slots.push(undefined, NONE) / 2 - 1;
  }

  private setPort(slot: number, port: number, value: T): void {
    const head = this.slots[slot * 2 + 1] as number;
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
      this.slots[slot * 2 + 1] = this.portNext.push(head) - 1;
      return;
    }
    const map = new Map<number, T>([[port, value]]);
    for (let p = head; p !== NONE; p = this.portNext[p]!)
      map.set(this.portNumber[p]!, this.portValue[p]!);
    this.portMaps.set(slot, map);
    this.slots[slot * 2 + 1] = IN_MAP;
  }

  /** The value of `slot` for `port`: its single-port value, else (with `any`) its every-port value. */
  private get(slot: number, port: number, any = true): T | undefined {
    const head = this.slots[slot * 2 + 1] as number;
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
    return any ? (this.slots[slot * 2] as T | undefined) : undefined;
  }

  private exactSlotOf(host: string): number {
    if (this.exactLarge) {
      const at = this.exact.intern(host);
      let slot = this.exact.value(at);
      if (slot === NONE) {
        slot = this.newSlot();
        this.exact.setValue(at, slot);
      }
      return slot;
    }
    let slot = this.exactMap.get(host);
    if (slot === undefined) {
      slot = this.newSlot();
      this.exactMap.set(host, slot);
      if (this.exactMap.size > SMALL_EXACT) {
        this.exactLarge = true;
        for (const [name, s] of this.exactMap) this.exact.setValue(this.exact.intern(name), s);
        this.exactMap.clear();
      }
    }
    return slot;
  }

  /**
   * The value of the most specific pattern matching a canonical host and port. With many exact
   * hosts, one pass right to left hashes every suffix that ends at a dot (probing for wildcards
   * until one is missing) and finally the whole name (for the exact table).
   */
  lookup(host: string, isIp: boolean, port: number): T | undefined {
    if (!this.exactLarge) {
      const slot = this.exactMap.get(host);
      if (slot !== undefined) {
        const v = this.get(slot, port);
        if (v !== undefined) return v;
      }
      if (!isIp && this.suffixes.size > 0) {
        const v = this.lookupWildcard(host, port);
        if (v !== undefined) return v;
      }
      return this.get(this.catchAll, port);
    }
    let wild: T | undefined;
    let walking = !isIp && this.suffixes.size > 0;
    let h = SEED;
    for (let i = host.length - 1; i >= 0; i--) {
      const c = host.charCodeAt(i);
      // At a dot, host[i + 1..] is a suffix with a label left of it: `*.example.com` matches
      // `a.example.com` but never `example.com` itself.
      if (c === DOT && walking && i > 0) {
        const at = this.suffixes.findTail(host, host.length - i - 1, h);
        if (at === NONE) walking = false;
        else {
          const slot = this.suffixes.value(at);
          if (slot !== NONE) {
            const v = this.get(slot, port);
            if (v !== undefined) wild = v;
          }
        }
      }
      h = step(h, c);
    }
    const at = this.exact.findTail(host, host.length, h);
    if (at !== NONE) {
      const v = this.get(this.exact.value(at), port);
      if (v !== undefined) return v;
    }
    return wild !== undefined ? wild : this.get(this.catchAll, port);
  }

  private lookupWildcard(host: string, port: number): T | undefined {
    let found: T | undefined;
    let h = SEED;
    for (let i = host.length - 1; i > 0; i--) {
      const c = host.charCodeAt(i);
      if (c === DOT) {
        const at = this.suffixes.findTail(host, host.length - i - 1, h);
        if (at === NONE) break;
        const slot = this.suffixes.value(at);
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
