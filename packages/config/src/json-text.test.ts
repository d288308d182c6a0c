import { describe, expect, it } from 'vitest';
import { locate, parseJsonText } from './json-text.ts';

describe('parseJsonText', () => {
  it.each([
    ['', { ok: false, reason: 'the file is empty' }],
    ['  \n', { ok: false, reason: 'the file is empty' }],
    [
      '{"a": 1,}',
      {
        ok: false,
        reason: 'a trailing comma is not allowed in JSON',
        position: { line: 1, column: 9 },
      },
    ],
    [
      '{\n  "a": [1, 2,\n  ]\n}',
      {
        ok: false,
        reason: 'a trailing comma is not allowed in JSON',
        position: { line: 3, column: 3 },
      },
    ],
    [
      '{\n  "a": 1\n  "b": 2\n}',
      { ok: false, reason: 'a "," was expected', position: { line: 3, column: 3 } },
    ],
    [
      '{\n  // note\n  "a": 1\n}',
      { ok: false, reason: 'comments are not allowed in JSON', position: { line: 2, column: 3 } },
    ],
    ["{'a': 1}", { ok: false, reason: 'unexpected character', position: { line: 1, column: 2 } }],
    ['{"a": "x', { ok: false, reason: 'unterminated string', position: { line: 1, column: 7 } }],
    ['{"a": 1', { ok: false, reason: 'a "}" was expected', position: { line: 1, column: 8 } }],
    [
      '{"a": 1} 2',
      {
        ok: false,
        reason: 'unexpected text after the end of the JSON value',
        position: { line: 1, column: 10 },
      },
    ],
    ['\ufeff{"a": 1}', { ok: true, value: { a: 1 } }],
    ['[1]', { ok: true, value: [1] }],
    [
      '{\n  "allowHosts": ["a.com"],\n  "allowHosts": ["b.com"]\n}',
      {
        ok: false,
        reason: 'duplicate key "allowHosts": merge the two into one',
        position: { line: 3, column: 3 },
      },
    ],
    [
      '{"credentials": [{"env": "A", "env": "B"}]}',
      {
        ok: false,
        reason: 'duplicate key "env": merge the two into one',
        position: { line: 1, column: 31 },
      },
    ],
    ['{"a": {"x": 1}, "b": {"x": 2}}', { ok: true, value: { a: { x: 1 }, b: { x: 2 } } }],
  ])('%j -> %j', (text, expected) => {
    expect(parseJsonText(text)).toEqual(expected);
  });
});

describe('locate', () => {
  const text = '{\n  "policy": "deny",\n  "allowHosts": [\n    "a.com",\n    "*."\n  ]\n}\n';
  it.each([
    [['policy'], { line: 2, column: 3 }],
    [['allowHosts', 1], { line: 5, column: 5 }],
    [['allowHosts', 7], undefined],
    [['nope'], undefined],
  ] as const)('%j is at %j', (path, expected) => {
    expect(locate(text, [...path])).toEqual(expected);
  });
});
