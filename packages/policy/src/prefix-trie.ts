// A binary trie over address bits: a lookup walks at most 32 (IPv4) or 128 (IPv6) nodes, however
// many CIDRs are stored. Nodes live in one Int32Array so that 100,000 CIDRs stay compact.

const STRIDE = 5; // zero child, one child, block rule, allow rule, bypass rule
const ZERO = 0;
const BLOCK = 2;
const ALLOW = 3;
const BYPASS = 4;
const JUMP = 6;

export type CidrAction = 'block' | 'allow' | 'bypass';

const FIELD: Record<CidrAction, number> = { block: BLOCK, allow: ALLOW, bypass: BYPASS };

export class PrefixTrie {
  private data = new Int32Array(STRIDE * 64).fill(-1);
  private nodes = 1;
  // After `accelerate16`: per 16-bit prefix, JUMP ints [node at depth 16, block, blockLen, allow,
  // allowLen, bypass], side by side so that the jump costs one cache line.
  private jump: Int32Array | null = null;

  /** Result of the last `walk`: deepest block and allow rules on the path, with their prefix lengths. */
  block = -1;
  blockLen = -1;
  allow = -1;
  allowLen = -1;
  bypass = -1;

  /** Stores rule index `rule` for the IPv4 prefix `addr`/`len`. */
  insert4(addr: number, len: number, action: CidrAction, rule: number): void {
    this.jump = null; // a new prefix outdates the table
    let node = 0;
    for (let i = 0; i < len; i++) node = this.child(node, (addr >>> (31 - i)) & 1);
    this.store(node, action, rule);
  }

  /** Stores rule index `rule` for the IPv6 prefix `pieces`/`len`. */
  insert6(pieces: Uint16Array, len: number, action: CidrAction, rule: number): void {
    let node = 0;
    for (let i = 0; i < len; i++)
      node = this.child(node, (pieces[i >>> 4]! >>> (15 - (i & 15))) & 1);
    this.store(node, action, rule);
  }

  private child(node: number, bit: number): number {
    const at = node * STRIDE + ZERO + bit;
    let next = this.data[at]!;
    if (next < 0) {
      next = this.newNode();
      this.data[at] = next;
    }
    return next;
  }

  // The first rule stored for a prefix and action is kept: duplicates say nothing new.
  private store(node: number, action: CidrAction, rule: number): void {
    const at = node * STRIDE + FIELD[action];
    if (this.data[at]! < 0) this.data[at] = rule;
  }

  private newNode(): number {
    if ((this.nodes + 1) * STRIDE > this.data.length) {
      const grown = new Int32Array(this.data.length * 2).fill(-1);
      grown.set(this.data);
      this.data = grown;
    }
    return this.nodes++;
  }

  private visit(node: number, depth: number): void {
    const d = this.data;
    const base = node * STRIDE;
    if (d[base + BLOCK]! >= 0) {
      this.block = d[base + BLOCK]!;
      this.blockLen = depth;
    }
    if (d[base + ALLOW]! >= 0) {
      this.allow = d[base + ALLOW]!;
      this.allowLen = depth;
    }
    if (this.bypass < 0 && d[base + BYPASS]! >= 0) this.bypass = d[base + BYPASS]!;
  }

  private reset(): void {
    this.block = -1;
    this.blockLen = -1;
    this.allow = -1;
    this.allowLen = -1;
    this.bypass = -1;
  }

  /** Walks an IPv4 address (unsigned 32-bit number). */
  walk4(addr: number): void {
    const d = this.data;
    let node = 0;
    let i = 0;
    const jump = this.jump;
    if (jump !== null) {
      const b = (addr >>> 16) * JUMP;
      node = jump[b]!;
      this.block = jump[b + 1]!;
      this.blockLen = jump[b + 2]!;
      this.allow = jump[b + 3]!;
      this.allowLen = jump[b + 4]!;
      this.bypass = jump[b + 5]!;
      if (node < 0) return;
      i = 16;
    } else {
      this.reset();
      this.visit(0, 0);
    }
    for (; i < 32; i++) {
      node = d[node * STRIDE + ((addr >>> (31 - i)) & 1)]!;
      if (node < 0) return;
      const b = node * STRIDE;
      // -1 (no rule) has every bit set, so the AND is -1 exactly when the node holds no rule.
      if ((d[b + BLOCK]! & d[b + ALLOW]! & d[b + BYPASS]!) !== -1) this.visit(node, i + 1);
    }
  }

  /**
   * For big IPv4 tries: a table over the first 16 bits holds the node and the rules seen at
   * depth 16, so a walk makes one read instead of 16 (dependent, and cache-missing ones once
   * the trie outgrows the CPU caches). Costs 1.5 MB; call after the last insert.
   */
  accelerate16(): void {
    const slots = 1 << 16;
    const jump = new Int32Array(slots * JUMP);
    this.jump = null;
    for (let top = 0; top < slots; top++) {
      const b = top * JUMP;
      jump[b] = this.walk16(top);
      jump[b + 1] = this.block;
      jump[b + 2] = this.blockLen;
      jump[b + 3] = this.allow;
      jump[b + 4] = this.allowLen;
      jump[b + 5] = this.bypass;
    }
    this.jump = jump;
  }

  /** Walks the first 16 bits of `top << 16`; returns the node at depth 16, or -1. */
  private walk16(top: number): number {
    this.reset();
    this.visit(0, 0);
    let node = 0;
    for (let i = 0; i < 16; i++) {
      node = this.data[node * STRIDE + ((top >>> (15 - i)) & 1)]!;
      if (node < 0) return -1;
      this.visit(node, i + 1);
    }
    return node;
  }

  /** Drops the spare room left by growing; call after the last insert. */
  trim(): void {
    if (this.data.length > this.nodes * STRIDE) this.data = this.data.slice(0, this.nodes * STRIDE);
  }

  /** Trie nodes in use. */
  get size(): number {
    return this.nodes;
  }

  /** Walks an IPv6 address given as 8 16-bit pieces. */
  walk6(pieces: Uint16Array): void {
    const d = this.data;
    this.reset();
    let node = 0;
    this.visit(0, 0);
    for (let i = 0; i < 128; i++) {
      node = d[node * STRIDE + ((pieces[i >>> 4]! >>> (15 - (i & 15))) & 1)]!;
      if (node < 0) return;
      const b = node * STRIDE;
      if ((d[b + BLOCK]! & d[b + ALLOW]! & d[b + BYPASS]!) !== -1) this.visit(node, i + 1);
    }
  }
}
