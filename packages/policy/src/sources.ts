import type { CidrList, HostList } from './compile.ts';

// Where a rule came from, packed in a small integer so a compiled policy keeps no string or
// object per rule for `rules()`: the index in its list times 8, plus the list's number here.
const LISTS = [
  'allowHosts',
  'blockHosts',
  'bypassHosts',
  'allowCidrs',
  'blockCidrs',
  'bypassCidrs',
  'default',
] as const;
const ACTIONS = ['allow', 'block', 'bypass', 'allow', 'block', 'bypass', 'block'] as const;

export function packSource(list: HostList | CidrList | 'default', index: number): number {
  return Math.max(index, 0) * 8 + LISTS.indexOf(list);
}

/** `allowHosts[3]`, or `default` for the default blocked CIDRs. */
export function sourceText(code: number): string {
  const list = LISTS[code & 7]!;
  return list === 'default' ? list : `${list}[${Math.floor(code / 8)}]`;
}

/** The action of the list a rule came from. */
export function sourceAction(code: number): 'allow' | 'block' | 'bypass' {
  return ACTIONS[code & 7]!;
}
