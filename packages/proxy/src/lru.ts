/** A Map bounded to `max` entries that forgets the least recently used one first. */
export class Lru<K, V> {
  readonly #map = new Map<K, V>();
  /** The most recently used key: getting it again needs no reordering. */
  #last: K | undefined;

  constructor(
    readonly max: number,
    private readonly onEvict?: (key: K, value: V) => void,
  ) {}

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value === undefined || key === this.#last) return value;
    this.#map.delete(key);
    this.#map.set(key, value);
    this.#last = key;
    return value;
  }

  /** The value of `key` without counting it as used. */
  peek(key: K): V | undefined {
    return this.#map.get(key);
  }

  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    this.#last = key;
    while (this.#map.size > this.max) {
      const [oldKey, oldValue] = this.#map.entries().next().value as [K, V];
      this.#map.delete(oldKey);
      this.onEvict?.(oldKey, oldValue);
    }
  }

  delete(key: K): boolean {
    if (key === this.#last) this.#last = undefined;
    return this.#map.delete(key);
  }

  values(): IterableIterator<V> {
    return this.#map.values();
  }

  clear(): void {
    this.#last = undefined;
    this.#map.clear();
  }
}
