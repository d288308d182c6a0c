import { describe, expect, it } from 'vitest';
import { Lru } from './lru.ts';

describe('Lru', () => {
  it('evicts the least recently used entry, counting gets of the newest one', () => {
    const evicted: string[] = [];
    const lru = new Lru<string, number>(2, (key) => evicted.push(key));
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1);
    expect(lru.get('a')).toBe(1);
    lru.set('c', 3);
    expect(lru.get('b')).toBe(undefined);
    lru.delete('a');
    lru.set('d', 4);
    lru.set('e', 5);
    expect([evicted, [...lru.values()]]).toEqual([
      ['b', 'c'],
      [4, 5],
    ]);
  });

  it('peeks without counting a use', () => {
    const evicted: string[] = [];
    const lru = new Lru<string, number>(2, (key) => evicted.push(key));
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.peek('a')).toBe(1);
    lru.set('c', 3);
    expect(evicted).toEqual(['a']);
    expect(lru.peek('a')).toBe(undefined);
  });
});
