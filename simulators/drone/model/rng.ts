import { mulberry32 } from '../../../util/mulberry32.ts';

/**
 * Seeded PRNG (mulberry32) with Gaussian draws: every random thing a vehicle does
 * (GPS noise, gusts, packet loss) replays exactly for a given seed, so a failing test
 * or scenario can be rerun bit for bit.
 */
export class Rng {
  private readonly draw: () => number;
  private spare: number | undefined;

  constructor(seed: number) {
    this.draw = mulberry32(seed >>> 0 || 0x9e3779b9);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.draw();
  }

  /** Standard normal (Marsaglia polar method, keeps the second draw). */
  gaussian(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    for (let i = 0; i < 100; i++) {
      const u = this.next() * 2 - 1;
      const v = this.next() * 2 - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const m = Math.sqrt((-2 * Math.log(s)) / s);
        this.spare = v * m;
        return u * m;
      }
    }
    return 0;
  }

  /** True with probability pct/100. */
  chance(pct: number): boolean {
    return pct > 0 && this.next() * 100 < pct;
  }
}
