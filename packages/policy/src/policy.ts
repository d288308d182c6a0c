import type { IpAddress } from './address.ts';
import { ipv4Address, parseAddress } from './address.ts';
import { type Cidr, parseCidr } from './cidr.ts';
import type { CidrList, HostList, ParsedEntry } from './compile.ts';
import { fastName, parseHost } from './host.ts';
import { HostTable } from './host-table.ts';
import { formatIPv4, parseIPv4Strict } from './ipv4.ts';
import { embeddedIPv4, formatIPv6, isCanonicalIPv6, isMapped, parseIPv6 } from './ipv6.ts';
import { orderRules } from './order.ts';
import { type HostPattern, parseHostPattern } from './pattern.ts';
import { type CidrAction, PrefixTrie } from './prefix-trie.ts';
import { packSource, sourceAction, sourceText } from './sources.ts';
import type {
  CheckRequest,
  CidrRule,
  Decision,
  HostRule,
  Policy,
  PolicyMode,
  PolicyRule,
} from './types.ts';

// A host rule's hit, packed in a small integer so the table holds no object per rule:
// the index of its pattern text in `hostPatterns`, times 4, plus these flags.
const HIT_BLOCK = 2;
const HIT_EXPLICIT = 1;

const INVALID: Decision = Object.freeze({
  action: 'deny',
  tunnel: 'mitm',
  rule: null,
  reason: 'invalid-target',
});
const DEFAULT_DENY: Decision = Object.freeze({
  action: 'deny',
  tunnel: 'mitm',
  rule: null,
  reason: 'default',
});
const UNRESOLVED: Decision = Object.freeze({
  action: 'deny',
  tunnel: 'mitm',
  rule: null,
  reason: 'unresolved',
});
// `localhost` (and so `host.docker.internal`) always means the loopback addresses, in this order.
const LOCALHOST: readonly IpAddress[] = [ipv4Address(0x7f000001), parseAddress('::1')!];

const SCRATCH6 = new Uint16Array(8);
// Past this many IPv4 trie nodes (a few hundred CIDRs), a 1.5 MB table saves 16 steps a walk.
const ACCELERATE_NODES = 4096;

const PASS = 0;
const CARVED = 1;
const DROPPED = 2;

const blockWins = (old: number, added: number): number => ((added & HIT_BLOCK) !== 0 ? added : old);
const keepFirst = (old: string): string => old;

// Canonical texts parse to themselves, so the rule objects can wait until `rules()` is called.
function hostRule(text: string, source: number): [HostPattern, HostRule] {
  const p = parseHostPattern(text) as HostPattern;
  const action = sourceAction(source);
  const explicit = action === 'allow' && p.kind !== 'any';
  return [p, { kind: 'host', action, pattern: text, explicit, source: sourceText(source) }];
}

function cidrRule(text: string, source: number): [Cidr, CidrRule] {
  const c = parseCidr(text) as Cidr;
  return [
    c,
    { kind: 'cidr', action: sourceAction(source), pattern: text, source: sourceText(source) },
  ];
}

export class CompiledPolicy implements Policy {
  private readonly hosts = new HostTable<number>();
  private readonly hostPatterns: string[] = [];
  private readonly bypassHosts = new HostTable<string>();
  private readonly hasBypassHosts: boolean;
  private readonly hasBypassCidrs: boolean;
  private readonly trie4 = new PrefixTrie();
  private readonly trie6 = new PrefixTrie();
  // What `rules()` is built from: canonical pattern texts and packed sources, by rule index.
  private readonly hostSources: number[] = [];
  private readonly bypassPatterns: string[] = [];
  private readonly bypassSources: number[] = [];
  private readonly cidrPatterns: string[] = [];
  private readonly cidrSources: number[] = [];
  private ordered: readonly PolicyRule[] | undefined = undefined;
  // The outcome of the last `cidrStage` call; fields, not an object, so the hot path allocates nothing.
  private verdict = PASS;
  private verdictRule = -1;
  private bypassCidr = false;
  // The CIDR stage of localhost's fixed addresses, worked out once: [verdict, rule, bypass] each.
  private readonly localStages: Int32Array;
  // The IPv4 literal host of the current check, reused: `check` runs to the end synchronously.
  private readonly literal4: { text: string; v4: number; v6: null } = { text: '', v4: 0, v6: null };

  constructor(
    readonly mode: PolicyMode,
    hosts: Record<HostList, ParsedEntry<HostPattern>[]>,
    cidrs: Record<CidrList, ParsedEntry<Cidr>[]>,
  ) {
    const seen = new Set<string>();
    const addHost = (e: ParsedEntry<HostPattern>, action: HostRule['action']) => {
      const key = `${action} ${e.value.text}`;
      if (seen.has(key)) return;
      seen.add(key);
      const source = packSource(e.list, e.index);
      if (action === 'bypass') {
        this.bypassHosts.add(e.value, e.value.text, keepFirst);
        this.bypassPatterns.push(e.value.text);
        this.bypassSources.push(source);
      } else {
        const explicit = action === 'allow' && e.value.kind !== 'any';
        const hit =
          (this.hostPatterns.push(e.value.text) - 1) * 4 +
          (action === 'block' ? HIT_BLOCK : 0) +
          (explicit ? HIT_EXPLICIT : 0);
        this.hostSources.push(source);
        this.hosts.add(e.value, hit, blockWins);
      }
    };
    for (const e of hosts.blockHosts) addHost(e, 'block');
    for (const e of hosts.allowHosts) addHost(e, 'allow');
    for (const e of hosts.bypassHosts) addHost(e, 'bypass');
    this.hasBypassHosts = this.bypassPatterns.length > 0;

    const addCidr = (e: ParsedEntry<Cidr>, action: CidrAction) => {
      const key = `${action} ${e.value.text}`;
      if (seen.has(key)) return;
      seen.add(key);
      const index = this.cidrPatterns.push(e.value.text) - 1;
      this.cidrSources.push(packSource(e.list, e.index));
      const c = e.value;
      if (c.family === 4) this.trie4.insert4(c.addr, c.len, action, index);
      else this.trie6.insert6(c.pieces, c.len, action, index);
    };
    for (const e of cidrs.allowCidrs) addCidr(e, 'allow');
    for (const e of cidrs.blockCidrs) addCidr(e, 'block');
    for (const e of cidrs.bypassCidrs) addCidr(e, 'bypass');
    this.hasBypassCidrs = cidrs.bypassCidrs.length > 0;
    this.trie4.trim();
    this.trie6.trim();
    if (this.trie4.size > ACCELERATE_NODES) this.trie4.accelerate16();
    this.localStages = new Int32Array(LOCALHOST.length * 3);
    LOCALHOST.forEach((ip, i) => {
      this.cidrStage(ip.v4, ip.v6);
      this.localStages.set([this.verdict, this.verdictRule, this.bypassCidr ? 1 : 0], i * 3);
    });
  }

  /** Built on the first call (the proxy never asks), so a compiled policy holds no rule objects. */
  rules(): readonly PolicyRule[] {
    this.ordered ??= orderRules(
      this.mode,
      this.hostPatterns.map((text, i) => hostRule(text, this.hostSources[i]!)),
      this.bypassPatterns.map((text, i) => hostRule(text, this.bypassSources[i]!)),
      this.cidrPatterns.map((text, i) => cidrRule(text, this.cidrSources[i]!)),
    );
    return this.ordered;
  }

  /** Decides one connection attempt. Never throws: any malformed input is an `invalid-target` denial. */
  check(request: CheckRequest): Decision {
    try {
      return this.decide(request);
    } catch {
      return INVALID;
    }
  }

  private decide(request: CheckRequest): Decision {
    if (request === null || typeof request !== 'object') return INVALID;
    const port = request.port;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)
      return INVALID;
    let name = fastName(request.host);
    let literal: IpAddress | null = null;
    if (name === null) {
      const v4 = typeof request.host === 'string' ? parseIPv4Strict(request.host) : -1;
      if (v4 >= 0) {
        // Strict dotted decimal is already canonical: no parse objects for the common literal.
        name = request.host as string;
        this.literal4.text = name;
        this.literal4.v4 = v4;
        literal = this.literal4;
      } else {
        const host = parseHost(request.host);
        if (typeof host === 'string') return INVALID;
        name = host.name;
        if (host.kind === 'ip') literal = host.ip;
      }
    }
    const isIp = literal !== null;
    const hit = this.hosts.lookup(name, isIp, port);
    let rule: string | null = null;
    let reason: Decision['reason'] = 'default';
    if (hit !== undefined) {
      rule = this.hostPatterns[hit >>> 2]!;
      if ((hit & HIT_BLOCK) !== 0)
        return { action: 'deny', tunnel: 'mitm', rule, reason: 'host-rule' };
      reason = 'host-rule';
    } else if (this.mode === 'deny') return DEFAULT_DENY;

    const local = !isIp && name === 'localhost';
    const given: unknown = isIp || local ? null : request.addresses;
    const count = isIp ? 1 : local ? LOCALHOST.length : Array.isArray(given) ? given.length : 0;

    if (hit !== undefined && (hit & HIT_EXPLICIT) !== 0) {
      // An allow rule naming this host skips the CIDR stage: dial the first address there is.
      for (let i = 0; i < count; i++) {
        const text = this.address(literal, local, given, i, this.hasBypassCidrs);
        if (text !== null) return this.allow(name, isIp, port, rule, reason, text);
      }
      return this.allow(name, isIp, port, rule, reason, undefined);
    }

    let firstDrop = -1;
    let valid = false;
    for (let i = 0; i < count; i++) {
      const text = this.address(literal, local, given, i, true);
      if (text === null) continue;
      valid = true;
      if (this.verdict === DROPPED) {
        if (firstDrop < 0) firstDrop = this.verdictRule;
        continue;
      }
      if (this.verdict === CARVED) {
        const carve = this.cidrPatterns[this.verdictRule]!;
        return this.allow(name, isIp, port, carve, 'cidr-rule', text);
      }
      return this.allow(name, isIp, port, rule, reason, text);
    }
    if (!valid) return UNRESOLVED;
    return {
      action: 'deny',
      tunnel: 'mitm',
      rule: this.cidrPatterns[firstDrop]!,
      reason: 'cidr-rule',
    };
  }

  private allow(
    name: string,
    isIp: boolean,
    port: number,
    rule: string | null,
    reason: Decision['reason'],
    address: string | undefined,
  ): Decision {
    const bypass =
      (address !== undefined && this.hasBypassCidrs && this.bypassCidr) ||
      (this.hasBypassHosts && this.bypassHosts.lookup(name, isIp, port) !== undefined);
    const tunnel = bypass ? 'bypass' : 'mitm';
    return address === undefined
      ? { action: 'allow', tunnel, rule, reason }
      : { action: 'allow', tunnel, rule, reason, address };
  }

  /**
   * The canonical text of candidate address `i`, or null when it is not an address; with
   * `stage`, also runs it through the CIDR rules. IPv4 strings take an allocation-free path.
   */
  private address(
    literal: IpAddress | null,
    local: boolean,
    given: unknown,
    i: number,
    stage: boolean,
  ): string | null {
    if (literal !== null) {
      if (stage) this.cidrStage(literal.v4, literal.v6);
      return literal.text;
    }
    if (local) {
      this.verdict = this.localStages[i * 3]!;
      this.verdictRule = this.localStages[i * 3 + 1]!;
      this.bypassCidr = this.localStages[i * 3 + 2] === 1;
      return LOCALHOST[i]!.text;
    }
    const a = (given as unknown[])[i];
    if (typeof a !== 'string') return null;
    const v4 = parseIPv4Strict(a);
    if (v4 >= 0) {
      if (stage) this.cidrStage(v4, null);
      return a;
    }
    const p = SCRATCH6;
    if (a.length < 2 || a.length > 45 || !parseIPv6(a, 0, a.length, p)) return null;
    if (isMapped(p)) {
      const mapped = p[6]! * 0x10000 + p[7]!;
      if (stage) this.cidrStage(mapped, null);
      return formatIPv4(mapped);
    }
    if (stage) this.cidrStage(embeddedIPv4(p), p);
    return isCanonicalIPv6(a, p) ? a : formatIPv6(p);
  }

  /** Runs one address through the CIDR rules, an IPv4 embedded in IPv6 included; sets `verdict`. */
  private cidrStage(v4: number, v6: Uint16Array | null): void {
    this.verdict = PASS;
    this.verdictRule = -1;
    this.bypassCidr = false;
    if (v4 >= 0) {
      this.trie4.walk4(v4);
      this.judge(this.trie4);
    }
    if (v6 !== null) {
      this.trie6.walk6(v6);
      this.judge(this.trie6);
    }
  }

  private judge(t: PrefixTrie): void {
    if (t.bypass >= 0) this.bypassCidr = true;
    if (this.verdict === DROPPED || t.block < 0) return;
    if (t.allow >= 0 && t.allowLen >= t.blockLen) {
      if (this.verdict === PASS) {
        this.verdict = CARVED;
        this.verdictRule = t.allow;
      }
      return;
    }
    this.verdict = DROPPED;
    this.verdictRule = t.block;
  }
}
