import type { HostPattern } from './pattern.ts';

/** What one pattern host holds: a value for every port and values for single ports. */
class Slot<T> {
  any: T | undefined = undefined;
  ports: Map<number, T> | undefined = undefined;

  get(port: number): T | undefined {
    if (this.ports !== undefined) {
      const v = this.ports.get(port);
      if (v !== undefined) return v;
    }
    return this.any;
  }
}

/** A wildcard suffix (`example.com` for `*.example.com`), or a suffix of one (`com`). */
interface Suffix<T> {
  readonly text: string;
  slot: Slot<T> | undefined;
  /** The next suffix with the same hash (rare): a chain, so a lookup reads no array. */
  next: Suffix<T> | undefined;
}

const DOT = 0x2e;

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
 */
export class HostTable<T> {
  private readonly exact = new Map<string, Slot<T>>();
  private readonly suffixes = new Map<number, Suffix<T>>();
  private readonly catchAll = new Slot<T>();

  /** Stores `value` for `pattern`; `merge` decides when the same pattern is added twice. */
  add(pattern: HostPattern, value: T, merge: (old: T, added: T) => T): void {
    let slot: Slot<T>;
    if (pattern.kind === 'any') slot = this.catchAll;
    else if (pattern.kind === 'exact') {
      slot = this.exact.get(pattern.host) ?? new Slot<T>();
      this.exact.set(pattern.host, slot);
    } else {
      const host = pattern.host;
      for (let dot = host.lastIndexOf('.'); dot >= 0; dot = host.lastIndexOf('.', dot - 1)) {
        this.suffix(host.slice(dot + 1));
      }
      const s = this.suffix(host);
      s.slot ??= new Slot<T>();
      slot = s.slot;
    }
    if (pattern.port === 0) {
      slot.any = slot.any === undefined ? value : merge(slot.any, value);
    } else {
      slot.ports ??= new Map();
      const old = slot.ports.get(pattern.port);
      slot.ports.set(pattern.port, old === undefined ? value : merge(old, value));
    }
  }

  private suffix(text: string): Suffix<T> {
    const h = suffixHash(text);
    const first = this.suffixes.get(h);
    for (let s = first; s !== undefined; s = s.next) if (s.text === text) return s;
    const added: Suffix<T> = { text, slot: undefined, next: first };
    this.suffixes.set(h, added);
    return added;
  }

  /** The value of the most specific pattern matching a canonical host and port. */
  lookup(host: string, isIp: boolean, port: number): T | undefined {
    const exact = this.exact.get(host);
    if (exact !== undefined) {
      const v = exact.get(port);
      if (v !== undefined) return v;
    }
    if (!isIp && this.suffixes.size > 0) {
      const v = this.lookupWildcard(host, port);
      if (v !== undefined) return v;
    }
    return this.catchAll.get(port);
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
        let s = this.suffixes.get(h);
        while (s !== undefined && (s.text.length !== len || !host.endsWith(s.text))) s = s.next;
        if (s === undefined) break;
        if (s.slot !== undefined) {
          const v = s.slot.get(port);
          if (v !== undefined) found = v;
        }
      }
      h = step(h, c);
    }
    return found;
  }
}
