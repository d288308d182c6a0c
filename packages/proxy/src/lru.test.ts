import { describe, expect, it } from 'vitest';
import { Lru } from './lru.ts';

/** An LRU of two entries holding a and b (a the older), and the keys it evicts. */
function fullOfAB(): { lru: Lru<string, number>; evicted: string[] } {
  const evicted: string[] = [];
  const lru = new Lru<string, number>(2, (key) => evicted.push(key));
  lru.set('a', 1);
  lru.set('b', 2);
  return { lru, evicted };
}

describe('Lru', () => {
  it('evicts the least recently used entry, counting gets of the newest one', () => {
    const { lru, evicted } = fullOfAB();
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
    const { lru, evicted } = fullOfAB();
    expect(lru.peek('a')).toBe(1);
    lru.set('c', 3);
    expect(evicted).toEqual(['a']);
    expect(lru.peek('a')).toBe(undefined);
  });
});
