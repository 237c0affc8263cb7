import { DEG } from './geo.ts';
import type { WindNow } from './kinematics.ts';
import type { Rng } from './rng.ts';
import type { WindOptions } from '../types.ts';

/** Gusts decorrelate over this time (first-order Gauss-Markov). */
const GUST_TAU_S = 4;

/** Steady wind plus Gauss-Markov gusts, as ground velocity in m/s. */
export class Wind {
  private readonly now: WindNow = { vn: 0, ve: 0, gustN: 0, gustE: 0 };
  private readonly steadyN: number;
  private readonly steadyE: number;
  private readonly gustMps: number;

  constructor(opts: WindOptions | undefined) {
    const s = opts?.speedMps ?? 0;
    const dir = (opts?.towardDeg ?? 0) * DEG;
    this.steadyN = s * Math.cos(dir);
    this.steadyE = s * Math.sin(dir);
    this.gustMps = opts?.gustMps ?? 0;
    this.now.vn = this.steadyN;
    this.now.ve = this.steadyE;
  }

  step(dtS: number, rng: Rng): WindNow {
    if (this.gustMps > 0) {
      const a = Math.exp(-dtS / GUST_TAU_S);
      const k = this.gustMps * Math.sqrt(1 - a * a);
      this.now.gustN = a * this.now.gustN + k * rng.gaussian();
      this.now.gustE = a * this.now.gustE + k * rng.gaussian();
    }
    this.now.vn = this.steadyN + this.now.gustN;
    this.now.ve = this.steadyE + this.now.gustE;
    return this.now;
  }
}
