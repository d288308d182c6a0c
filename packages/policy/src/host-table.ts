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

class Node<T> {
  children: Map<string, Node<T>> | undefined = undefined;
  slot: Slot<T> | undefined = undefined;
}

/**
 * Host patterns indexed so that a lookup costs the same for 10 or 100,000 patterns: a hash
 * map for exact hosts, a reversed-label trie for wildcards, one slot for catch-alls. A lookup
 * returns the value of the most specific matching pattern.
 */
export class HostTable<T> {
  private readonly exact = new Map<string, Slot<T>>();
  private readonly wild = new Node<T>();
  private readonly catchAll = new Slot<T>();

  /** Stores `value` for `pattern`; `merge` decides when the same pattern is added twice. */
  add(pattern: HostPattern, value: T, merge: (old: T, added: T) => T): void {
    let slot: Slot<T>;
    if (pattern.kind === 'any') slot = this.catchAll;
    else if (pattern.kind === 'exact') {
      slot = this.exact.get(pattern.host) ?? new Slot<T>();
      this.exact.set(pattern.host, slot);
    } else {
      let node = this.wild;
      const labels = pattern.host.split('.');
      for (let i = labels.length - 1; i >= 0; i--) {
        node.children ??= new Map();
        let next = node.children.get(labels[i]!);
        if (next === undefined) {
          next = new Node<T>();
          node.children.set(labels[i]!, next);
        }
        node = next;
      }
      node.slot ??= new Slot<T>();
      slot = node.slot;
    }
    if (pattern.port === 0) {
      slot.any = slot.any === undefined ? value : merge(slot.any, value);
    } else {
      slot.ports ??= new Map();
      const old = slot.ports.get(pattern.port);
      slot.ports.set(pattern.port, old === undefined ? value : merge(old, value));
    }
  }

  /** The value of the most specific pattern matching a canonical host and port. */
  lookup(host: string, isIp: boolean, port: number): T | undefined {
    const exact = this.exact.get(host);
    if (exact !== undefined) {
      const v = exact.get(port);
      if (v !== undefined) return v;
    }
    if (!isIp && this.wild.children !== undefined) {
      const v = this.lookupWildcard(host, port);
      if (v !== undefined) return v;
    }
    return this.catchAll.get(port);
  }

  private lookupWildcard(host: string, port: number): T | undefined {
    let found: T | undefined;
    let node = this.wild;
    let end = host.length;
    while (node.children !== undefined) {
      const dot = host.lastIndexOf('.', end - 1);
      // The leftmost label is never matched: `*.example.com` does not match `example.com`.
      if (dot < 0) break;
      const next = node.children.get(host.slice(dot + 1, end));
      if (next === undefined) break;
      node = next;
      if (node.slot !== undefined) {
        const v = node.slot.get(port);
        if (v !== undefined) found = v;
      }
      end = dot;
    }
    return found;
  }
}
