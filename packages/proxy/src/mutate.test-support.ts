// Seeded mutations of sample messages, for the parsers' tests that run thousands of slightly
// broken inputs: the same inputs on every run.

export interface Mutator {
  /** A number in [0, n), from the seeded sequence. */
  random(n: number): number;
  /** `sample` with `count` characters deleted, inserted (from the alphabet) or replaced. */
  mutate(sample: string, count: number): string;
}

/** A linear congruential sequence from `seed`, and mutations drawing on it and `alphabet`. */
export function mutator(seed: number, alphabet: string): Mutator {
  const random = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % n;
  };
  const mutate = (sample: string, count: number) => {
    const chars = [...sample];
    for (let m = count; m > 0; m--) {
      const at = random(chars.length + 1);
      const op = random(3);
      const c = alphabet[random(alphabet.length)]!;
      if (op === 0) chars.splice(at, 1);
      else if (op === 1) chars.splice(at, 0, c);
      else chars[at] = c;
    }
    return chars.join('');
  };
  return { random, mutate };
}
