import { findNodeAtLocation, type Node, type ParseError, parse, parseTree } from 'jsonc-parser';

export interface Position {
  line: number;
  column: number;
}

export type JsonTextResult =
  | { ok: true; value: unknown }
  | { ok: false; reason: string; position?: Position };

const REASONS: Record<number, string> = {
  1: 'unexpected character',
  2: 'malformed number',
  3: 'a property name in double quotes was expected',
  4: 'a value was expected',
  5: 'a ":" was expected',
  6: 'a "," was expected',
  7: 'a "}" was expected',
  8: 'a "]" was expected',
  9: 'unexpected text after the end of the JSON value',
  10: 'comments are not allowed in JSON',
  11: 'unterminated comment',
  12: 'unterminated string',
  13: 'malformed number',
  14: 'malformed unicode escape',
  15: 'invalid escape character in a string',
  16: 'invalid character in a string (control characters must be escaped)',
};

/** Parses strict JSON; on failure says what is wrong and where (1-based line and column). */
export function parseJsonText(text: string): JsonTextResult {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') return { ok: false, reason: 'the file is empty' };
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    // JSON.parse's message has no position on Node 20; jsonc-parser finds it.
    const errors: ParseError[] = [];
    parse(body, errors, { disallowComments: true, allowTrailingComma: false });
    const first = errors[0];
    if (!first) return { ok: false, reason: (error as Error).message };
    let reason = REASONS[first.error] ?? 'invalid JSON';
    if ((first.error === 3 || first.error === 4) && /,\s*$/.test(body.slice(0, first.offset))) {
      reason = 'a trailing comma is not allowed in JSON';
    }
    return { ok: false, reason, position: positionAt(body, first.offset) };
  }
  // JSON.parse keeps the last of two equal keys: the first list of rules would vanish unseen.
  const duplicate = findDuplicateKey(parseTree(body));
  if (duplicate) {
    return {
      ok: false,
      reason: `duplicate key ${JSON.stringify(duplicate.key)}: merge the two into one`,
      position: positionAt(body, duplicate.offset),
    };
  }
  return { ok: true, value };
}

function findDuplicateKey(node: Node | undefined): { key: string; offset: number } | undefined {
  if (!node?.children) return undefined;
  if (node.type === 'object') {
    const seen = new Set<string>();
    for (const property of node.children) {
      const key = property.children?.[0];
      if (key && typeof key.value === 'string') {
        if (seen.has(key.value)) return { key: key.value, offset: key.offset };
        seen.add(key.value);
      }
    }
  }
  for (const child of node.children) {
    const found = findDuplicateKey(child);
    if (found) return found;
  }
  return undefined;
}

/** Where the value at `path` starts in `text` (the key, for object members); undefined if absent. */
export function locate(text: string, path: (string | number)[]): Position | undefined {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const tree = parseTree(body);
  if (!tree) return undefined;
  const node = findNodeAtLocation(tree, path);
  if (!node) return undefined;
  const at = node.parent?.type === 'property' ? node.parent.offset : node.offset;
  return positionAt(body, at);
}

function positionAt(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
