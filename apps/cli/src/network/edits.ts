import type { ProxyConfig, ProxyConfigList } from '@sbx/config';
import { validateCidr, validateHostPattern } from '@sbx/policy';
import type { NetworkProxyArgs } from '../commands/network-proxy.ts';
import { CliError, EXIT } from '../errors.ts';

/** The changes one `network proxy` command asks for, validated and in canonical form. */
export interface Edits {
  policy?: 'allow' | 'deny';
  add: { list: ProxyConfigList; entry: string }[];
  removeHosts: string[];
  removeCidrs: string[];
}

const HOST_LISTS = ['allowHosts', 'blockHosts', 'bypassHosts'] as const;
const CIDR_LISTS = ['allowCidrs', 'blockCidrs', 'bypassCidrs'] as const;

function canonical(flag: string, value: string, kind: 'host' | 'cidr'): string {
  const result = kind === 'host' ? validateHostPattern(value) : validateCidr(value);
  if (result.ok) return result.value;
  throw new CliError(`--${flag}: ${result.reason}`, { code: 'SBX_USAGE', exitCode: EXIT.usage });
}

/** Checks every flag value with @sbx/policy before anything is read or written. */
export function parseEdits(argv: NetworkProxyArgs): Edits {
  const hosts = (flag: string, values: string[]) => values.map((v) => canonical(flag, v, 'host'));
  const cidrs = (flag: string, values: string[]) => values.map((v) => canonical(flag, v, 'cidr'));
  const add: Edits['add'] = [];
  const push = (list: ProxyConfigList, entries: string[]) => {
    for (const entry of entries) add.push({ list, entry });
  };
  push('blockHosts', hosts('block-host', argv.blockHost));
  push('allowHosts', hosts('allow-host', argv.allowHost));
  push('bypassHosts', hosts('bypass-host', argv.bypassHost));
  push('blockCidrs', cidrs('block-cidr', argv.blockCidr));
  push('allowCidrs', cidrs('allow-cidr', argv.allowCidr));
  push('bypassCidrs', cidrs('bypass-cidr', argv.bypassCidr));
  if (argv.policy !== undefined && argv.policy !== 'allow' && argv.policy !== 'deny') {
    throw new CliError(`--policy: unknown mode ${JSON.stringify(argv.policy)}: use allow or deny`, {
      code: 'SBX_USAGE',
      exitCode: EXIT.usage,
    });
  }
  return {
    policy: argv.policy,
    add,
    removeHosts: hosts('remove-host', argv.removeHost),
    removeCidrs: cidrs('remove-cidr', argv.removeCidr),
  };
}

export function hasEdits(edits: Edits): boolean {
  return (
    edits.policy !== undefined ||
    edits.add.length > 0 ||
    edits.removeHosts.length > 0 ||
    edits.removeCidrs.length > 0
  );
}

/** Entries in the file may be written in any form; compare them canonically. */
function same(list: ProxyConfigList, a: string, b: string): boolean {
  const check = list.endsWith('Cidrs') ? validateCidr : validateHostPattern;
  const ca = check(a);
  return (ca.ok ? ca.value : a) === b;
}

function without(config: ProxyConfig, list: ProxyConfigList, entry: string): boolean {
  const kept = config[list].filter((e) => !same(list, e, entry));
  const removed = kept.length !== config[list].length;
  config[list] = kept;
  return removed;
}

// An allow and a block of the same entry: the block would win, so the newer command replaces
// the older rule. --allow-cidr also lifts a bypass, as in Docker.
const DISPLACES: Partial<Record<ProxyConfigList, ProxyConfigList[]>> = {
  allowHosts: ['blockHosts'],
  blockHosts: ['allowHosts'],
  allowCidrs: ['blockCidrs', 'bypassCidrs'],
  blockCidrs: ['allowCidrs'],
};

/**
 * Applies the edits to `config` in a fixed order: policy, removals, then additions (blocks
 * before allows). Returns a note for each removal that found nothing.
 */
export function applyEdits(config: ProxyConfig, edits: Edits): string[] {
  const notes: string[] = [];
  if (edits.policy) config.policy = edits.policy;
  for (const entry of edits.removeHosts) {
    const found = HOST_LISTS.map((list) => without(config, list, entry)).some(Boolean);
    if (!found) notes.push(`nothing to remove: ${entry} is in no host list`);
  }
  for (const entry of edits.removeCidrs) {
    const found = CIDR_LISTS.map((list) => without(config, list, entry)).some(Boolean);
    if (!found) {
      notes.push(
        `nothing to remove: ${entry} is in no CIDR list (to lift a default blocked range, use --allow-cidr)`,
      );
    }
  }
  for (const { list, entry } of edits.add) {
    for (const other of DISPLACES[list] ?? []) without(config, other, entry);
    if (!config[list].some((e) => same(list, e, entry))) config[list].push(entry);
  }
  return notes;
}
