import { isIP } from 'node:net';
import type { Tunnel } from './state.ts';
import type { Target } from './target.ts';
import type { PolicyDecision, ProxyEvent, ProxyPolicy, Resolver } from './types.ts';

export interface Decided {
  decision: PolicyDecision;
  addresses: readonly string[];
}

/**
 * The decision when it needs no lookup (an IP literal, localhost, a name the host rules settle,
 * or the addresses a tunnel resolved at CONNECT), else undefined. Synchronous, so a request
 * on a kept-alive connection takes no promise hop before it goes upstream.
 */
export function decideNow(
  policy: ProxyPolicy,
  target: Target,
  known?: readonly string[],
): Decided | undefined {
  const { host, port } = target;
  if (known) return { decision: policy.check({ host, port, addresses: known }), addresses: known };
  if (mayBeIp(host) && isIP(host)) {
    const addresses = [host];
    return { decision: policy.check({ host, port, addresses }), addresses };
  }
  // localhost needs no lookup (the policy knows its addresses); a name the host rules deny
  // is not looked up at all, so a deny-mode sandbox cannot leak data through DNS queries.
  const early = policy.check({ host, port, addresses: [] });
  if (early.action === 'allow' ? early.address !== undefined : early.reason !== 'unresolved') {
    return { decision: early, addresses: [] };
  }
  return undefined;
}

/** Cheap pre-check before `isIP`: canonical IP literals start with a digit or hold a colon. */
export function mayBeIp(host: string): boolean {
  const c = host.charCodeAt(0);
  return (c >= 0x30 && c <= 0x39) || host.includes(':');
}

/**
 * The decision for a request inside a tunnel: target and addresses are fixed per tunnel, so
 * it is computed once per policy. Keyed by the policy object, so `setPolicy` applies to the
 * very next request.
 */
export function decideInTunnel(policy: ProxyPolicy, tunnel: Tunnel): Decided {
  const cached = tunnel.decided;
  if (cached?.policy === policy) return cached.result;
  const result = decideNow(policy, tunnel.target, tunnel.addresses)!;
  tunnel.decided = { policy, result };
  return result;
}

/**
 * Asks the policy about `target`, resolving its name once when the policy needs addresses.
 * `policy` is called again after the lookup so a policy swapped meanwhile is the one applied.
 */
export async function decide(
  policy: () => ProxyPolicy,
  resolver: Resolver,
  target: Target,
  known?: readonly string[],
): Promise<Decided> {
  const now = decideNow(policy(), target, known);
  if (now) return now;
  const addresses = await resolver(target.host);
  return {
    decision: policy().check({ host: target.host, port: target.port, addresses }),
    addresses,
  };
}

export type Admission = { ok: true; address: string } | { ok: false; status: number; body: string };

/**
 * What a decision means for one request or tunnel: the pinned address to dial, or the denial to
 * answer. Notes the rule, address and action in its log record.
 */
export function admit(
  { decision, addresses }: Decided,
  target: Target,
  sandbox: string | null,
  record: ProxyEvent,
): Admission {
  record.rule = decision.rule;
  if (decision.action === 'deny' || decision.address === undefined) {
    const denied = denialText(
      { ...decision, address: decision.address ?? addresses[0] },
      target,
      sandbox,
    );
    return { ok: false, ...denied };
  }
  record.address = decision.address;
  record.action = decision.tunnel === 'bypass' ? 'bypassed' : 'allowed';
  return { ok: true, address: decision.address };
}

/** The text a denied client reads: what blocked it and the command that would allow it. */
export function denialText(
  decision: PolicyDecision,
  target: Target,
  sandbox: string | null,
): { status: number; body: string } {
  const name = sandbox ?? '<sandbox>';
  const where = `${target.name}:${target.port}`;
  switch (decision.reason) {
    case 'unresolved':
      return { status: 502, body: `sbx proxy: cannot resolve ${target.name}\n` };
    case 'invalid-target':
      return { status: 400, body: `sbx proxy: ${where} is not a valid destination\n` };
    case 'cidr-rule': {
      if (target.host === 'localhost') {
        return {
          status: 403,
          body:
            `sbx proxy: ${where} is on this machine and blocked by the address rule ${decision.rule}\n` +
            `to allow this port: sbx network proxy ${name} --allow-host ${target.name}:${target.port}\n`,
        };
      }
      const address = decision.address ?? '';
      const cidr = isIP(address) === 6 ? `${address}/128` : `${address}/32`;
      return {
        status: 403,
        body:
          `sbx proxy: ${where} (${address}) is blocked by the address rule ${decision.rule}\n` +
          `to allow it: sbx network proxy ${name} --allow-cidr ${cidr}\n`,
      };
    }
    default: {
      const why =
        decision.reason === 'default' || decision.rule === null
          ? 'by the default policy (deny)'
          : `by the host rule ${decision.rule}`;
      const allow = target.host === 'localhost' || isIP(target.host) ? where : target.name;
      return {
        status: 403,
        body: `sbx proxy: ${where} is blocked ${why}\nto allow it: sbx network proxy ${name} --allow-host ${allow}\n`,
      };
    }
  }
}
