/**
 * mulberry32 (Tommy Ettinger's 32-bit generator): a seeded uniform draw in [0, 1), small
 * and fast, so simulations and lossy tests replay bit for bit from their seed. Not for
 * anything secret. The one copy: the simulators' Rng types and test helpers build on it.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
