import { PROXY_CONFIG_LISTS, type ProxyConfig } from '@sbx/config';

/** One line of "what changed": a field set, or an entry added to or removed from a list. */
export type Change =
  | { op: 'set'; field: 'policy'; from: string | null; to: string }
  | { op: 'add' | 'remove'; list: string; entry: string };

function credential(rule: ProxyConfig['credentials'][number]): string {
  return `${rule.host} ${rule.header}: ${rule.format} from $${rule.env}`;
}

/** The differences between two versions of a config (`before` undefined: it was unreadable). */
export function diffConfigs(before: ProxyConfig | undefined, after: ProxyConfig): Change[] {
  const changes: Change[] = [];
  if (before?.policy !== after.policy) {
    changes.push({ op: 'set', field: 'policy', from: before?.policy ?? null, to: after.policy });
  }
  const lists: [string, string[], string[]][] = PROXY_CONFIG_LISTS.map((list) => [
    list,
    before?.[list] ?? [],
    after[list],
  ]);
  lists.push([
    'credentials',
    (before?.credentials ?? []).map(credential),
    after.credentials.map(credential),
  ]);
  for (const [list, old, now] of lists) {
    for (const entry of old) if (!now.includes(entry)) changes.push({ op: 'remove', list, entry });
    for (const entry of now) if (!old.includes(entry)) changes.push({ op: 'add', list, entry });
  }
  return changes;
}

/** `  policy: allow -> deny`, `  + allowHosts  api.example.com`, aligned. */
export function formatChanges(changes: Change[]): string {
  const width = Math.max(0, ...changes.map((c) => (c.op === 'set' ? 0 : c.list.length)));
  return changes
    .map((c) =>
      c.op === 'set'
        ? `  ${c.field}: ${c.from ?? '(unreadable)'} -> ${c.to}\n`
        : `  ${c.op === 'add' ? '+' : '-'} ${c.list.padEnd(width)}  ${c.entry}\n`,
    )
    .join('');
}
