import type { HostPattern } from './pattern.ts';

const DOT = 0x2e;
const NONE = -1;
// Past this many ports on one host, its ports move from a list to a Map: lookups stay flat.
const LIST_MAX = 8;
const IN_MAP = -2;

/** Hash step over a name read right to left; kept in Smi range so Map keys stay cheap. */
function step(h: number, c: number): number {
  return Math.imul(h ^ c, 0x01000193) & 0x3fffffff;
}

export function suffixHash(text: string): number {
  let h = 0x811c9dc5 & 0x3fffffff;
  for (let i = text.length - 1; i >= 0; i--) h = step(h, text.charCodeAt(i));
  return h;
}

/**
 * Host patterns indexed so that a lookup costs the same for 10 or 100,000 patterns: a hash
 * map for exact hosts, a reversed-label trie for wildcards, one slot for catch-alls. The trie
 * is flat: every suffix of every wildcard (`com`, `example.com`) is keyed by a hash computed
 * right to left, so a lookup reads the host once, allocates nothing, and stops at the first
 * suffix no wildcard ends with. A lookup returns the value of the most specific pattern.
 *
 * Memory is kept in flat arrays indexed by small integers rather than an object per pattern:
 * a "slot" (what one exact host or wildcard suffix holds) is an index into `anyValue` (the
 * value for every port) and `portHead` (a short list of single-port values).
 */
export class HostTable<T> {
  private readonly exact = new Map<string, number>();
  private readonly suffixes = new Map<number, number>();
  private readonly suffixText: string[] = [];
  /** The next suffix with the same hash (rare): a chain of indices. */
  private readonly suffixNext: number[] = [];
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
      slot = this.exact.get(pattern.host) ?? this.newSlot();
      this.exact.set(pattern.host, slot);
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
    const first = this.suffixes.get(h) ?? NONE;
    for (let s = first; s !== NONE; s = this.suffixNext[s]!)
      if (this.suffixText[s] === text) return s;
    this.suffixText.push(text);
    this.suffixNext.push(first);
    const added = this.suffixSlot.push(NONE) - 1;
    this.suffixes.set(h, added);
    return added;
  }

  /** The value of the most specific pattern matching a canonical host and port. */
  lookup(host: string, isIp: boolean, port: number): T | undefined {
    const exact = this.exact.get(host);
    if (exact !== undefined) {
      const v = this.get(exact, port);
      if (v !== undefined) return v;
    }
    if (!isIp && this.suffixes.size > 0) {
      const v = this.lookupWildcard(host, port);
      if (v !== undefined) return v;
    }
    return this.get(this.catchAll, port);
  }

  private lookupWildcard(host: string, port: number): T | undefined {
    let found: T | undefined;
    let h = 0x811c9dc5 & 0x3fffffff;
    for (let i = host.length - 1; i > 0; i--) {
      const c = host.charCodeAt(i);
      // At a dot, host[i + 1..] is a suffix with a label left of it: `*.example.com` matches
      // `a.example.com` but never `example.com` itself.
      if (c === DOT) {
        const len = host.length - i - 1;
        let s = this.suffixes.get(h) ?? NONE;
        while (s !== NONE) {
          const text = this.suffixText[s]!;
          if (text.length === len && host.endsWith(text)) break;
          s = this.suffixNext[s]!;
        }
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
