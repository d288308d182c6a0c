import type * as v from 'valibot';

export type FieldPath = (string | number)[];

/** One problem with a config: where (a field path; empty for the whole file) and why. */
export interface FieldIssue {
  path: FieldPath;
  reason: string;
}

/** `allowHosts[2]`, `credentials[0].env`, `network.blockCIDR[1]`. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}

/** `allowHosts[2]: reason`, or the bare reason for the whole file. */
export function formatIssue(issue: FieldIssue): string {
  return issue.path.length === 0 ? issue.reason : `${formatPath(issue.path)}: ${issue.reason}`;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'boolean') return 'a boolean';
  return `a ${typeof value}`;
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  array: 'an array',
  strict_object: 'an object',
  number: 'a number',
};

/**
 * Turns valibot's issues into ours. Values are described by their type, never echoed, because a
 * misplaced secret must not end up in an error message or a log.
 */
export function fromValibot(
  issues: readonly v.BaseIssue<unknown>[],
  keysAt: (parent: FieldPath) => string[],
): FieldIssue[] {
  return issues.map((issue) => {
    const path: FieldPath = (issue.path ?? []).map((item) => item.key as string | number);
    const last = issue.path?.at(-1);
    if (issue.type === 'strict_object' && last?.origin === 'key') {
      return { path, reason: `unknown key${suggest(String(last.key), keysAt(path.slice(0, -1)))}` };
    }
    if (issue.type === 'literal' && path.join() === 'version') {
      return {
        path,
        reason: `unsupported version ${issue.received}: this sbx reads version 1; upgrade sbx or rewrite the file as version 1`,
      };
    }
    if (issue.type === 'picklist') {
      return {
        path,
        reason: `must be ${String(issue.expected).replace(/[()]/g, '').replace(' | ', ' or ')}`,
      };
    }
    if (issue.kind === 'schema') {
      const expected = EXPECTED[issue.type] ?? issue.expected;
      return { path, reason: `must be ${expected}, not ${kindOf(issue.input)}` };
    }
    return { path, reason: issue.message };
  });
}

/** ` (did you mean "allowHosts"?)` for a key a small typo away from a known one. */
function suggest(key: string, keys: string[]): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of keys) {
    const d = distance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best === undefined ? '; remove it' : `; did you mean "${best}"?`;
}

function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      next.push(Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + cost));
    }
    row = next;
  }
  return row[b.length]!;
}
