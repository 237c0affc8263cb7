import { mulberry32 } from '../../util/mulberry32.ts';

/**
 * Seeded pseudo-random numbers (mulberry32), so a scenario with a seed replays the same
 * plates, arrival times and crowd counts run after run. Not for anything secret.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  /** Exponential inter-arrival time for a Poisson process of `ratePerS` events per second. */
  expS(ratePerS: number): number;
  /** A new independent stream derived from this one (one per device). */
  fork(): Rng;
}

export function createRng(seed: number): Rng {
  const next = mulberry32(seed);
  const rng: Rng = {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)]!;
    },
    expS: (ratePerS) => (ratePerS > 0 ? -Math.log(1 - next()) / ratePerS : Infinity),
    fork: () => createRng(Math.floor(next() * 4294967296)),
  };
  return rng;
}
