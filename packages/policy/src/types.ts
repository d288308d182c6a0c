/** `allow`: hosts no rule matches go on to the CIDR stage; `deny`: they are denied. */
export type PolicyMode = 'allow' | 'deny';

/** The policy as written in proxy-config.json or on the command line. */
export interface PolicyConfig {
  policy?: PolicyMode;
  allowHosts?: readonly string[];
  blockHosts?: readonly string[];
  allowCidrs?: readonly string[];
  blockCidrs?: readonly string[];
  bypassHosts?: readonly string[];
  bypassCidrs?: readonly string[];
}

/** One connection attempt: the host the client asked for, the port, and what the host resolved to. */
export interface CheckRequest {
  host: string;
  port: number;
  addresses?: readonly string[];
}

export type DecisionReason =
  | 'host-rule'
  | 'cidr-rule'
  | 'default'
  | 'invalid-target'
  | 'unresolved';

/** The verdict on one connection attempt. */
export interface Decision {
  action: 'allow' | 'deny';
  /** `bypass`: a plain TCP tunnel (no TLS interception, no credential injection). Always `mitm` on deny. */
  tunnel: 'mitm' | 'bypass';
  /** The deciding host pattern or CIDR in canonical form; null when the default mode (or nothing) decided. */
  rule: string | null;
  reason: DecisionReason;
  /** On allow: the address to dial; absent only for an explicitly allowed name with no usable address. */
  address?: string;
}

/** A host rule: `explicit` allow rules name a host and skip the CIDR stage. */
export interface HostRule {
  kind: 'host';
  action: 'allow' | 'block' | 'bypass';
  pattern: string;
  explicit: boolean;
  /** Where the rule came from: `allowHosts[3]`. */
  source: string;
}

export interface CidrRule {
  kind: 'cidr';
  action: 'allow' | 'block' | 'bypass';
  pattern: string;
  /** Where the rule came from: `blockCidrs[0]`, or `default` for the always-blocked ranges. */
  source: string;
}

/** The default mode, applied when no host rule matches. */
export interface DefaultRule {
  kind: 'default';
  action: 'allow' | 'block';
  pattern: null;
  source: 'policy';
}

export type PolicyRule = HostRule | CidrRule | DefaultRule;

/** A compiled policy. `check` never throws. */
export interface Policy {
  readonly mode: PolicyMode;
  check(request: CheckRequest): Decision;
  /** The rules in evaluation order (see the README for the order). */
  rules(): readonly PolicyRule[];
}

export type Validation<T> = { ok: true; value: T } | { ok: false; reason: string };

export type SafeCompileResult = { ok: true; value: Policy } | { ok: false; issues: string[] };

/** Host patterns compiled for lookups: `match` returns the most specific matching canonical pattern. */
export interface HostMatcher {
  match(host: string, port: number): string | null;
}
