import { moveNE } from './geo.ts';
import type { Body } from './kinematics.ts';
import type { Rng } from './rng.ts';

/** GPS error decorrelates over this time: real receivers wander, they do not jitter. */
const NOISE_TAU_S = 20;

/**
 * What the GPS (and the EKF fed by it) reports: the truth plus a slowly wandering
 * Gauss-Markov error; on GPS loss, no fix and the last good estimate frozen.
 */
export class GpsSensor {
  fixType = 3; // GPS_FIX_TYPE_3D_FIX
  satellites = 14;
  /** Set at the first fix after boot: from then on a lost fix freezes the estimate instead of zeroing it. */
  everFixed = false;
  latDeg = 0;
  lonDeg = 0;
  altAmslM = 0;
  private errN = 0;
  private errE = 0;
  private errU = 0;

  constructor(private readonly sigmaM: number) {}

  /** `lost`: no fix now (fault); `acquiring`: no fix yet since boot (fix type 0, position 0,0). */
  update(b: Body, dtS: number, lost: boolean, rng: Rng, acquiring = false): void {
    if (acquiring) {
      this.fixType = 0; // GPS_FIX_TYPE_NO_GPS: SITL's receiver before its first fix
      this.satellites = 0;
      this.everFixed = false;
      this.latDeg = 0;
      this.lonDeg = 0;
      this.altAmslM = 0;
      return;
    }
    if (lost) {
      this.fixType = 1; // GPS_FIX_TYPE_NO_FIX
      this.satellites = 0;
      return;
    }
    this.everFixed = true;
    this.fixType = 3;
    this.satellites = 14;
    if (this.sigmaM > 0 && dtS > 0) {
      const a = Math.exp(-dtS / NOISE_TAU_S);
      const k = this.sigmaM * Math.sqrt(1 - a * a);
      this.errN = a * this.errN + k * rng.gaussian();
      this.errE = a * this.errE + k * rng.gaussian();
      this.errU = a * this.errU + 1.5 * k * rng.gaussian();
    }
    const p = moveNE({ latDeg: b.latDeg, lonDeg: b.lonDeg }, this.errN, this.errE);
    this.latDeg = p.latDeg;
    this.lonDeg = p.lonDeg;
    this.altAmslM = b.altAmslM + this.errU;
  }

  get ephCm(): number {
    return this.fixType >= 3 ? Math.max(60, Math.round(this.sigmaM * 100)) : 9999;
  }
}
