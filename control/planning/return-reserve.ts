import { restToRestLeg, type FlightLimits } from './lap-time.ts';

export interface ReturnInput {
  /** What the vehicle reports now. */
  batteryPct: number;
  distanceHomeM: number;
  /** The speed it really flies home at (commanded, capped by what it achieved). */
  homeSpeedMps: number;
  /** Battery spent per second of flight: measured where possible, never below the model's. */
  drainPctPerS: number;
  /** Battery left on landing, never planned away. */
  reservePct: number;
  /** Descent and landing after the flight home. */
  landingS: number;
  flight: Omit<FlightLimits, 'speedMps'>;
}

export interface ReturnNeed {
  /** Battery the way home and the landing take, reserve included. */
  needPct: number;
  /** At or below `needPct`: turn home now. */
  mustReturn: boolean;
  /** Seconds of flight left before it must turn home (0 when it must now). */
  spareS: number;
}

/**
 * Whether a drone must turn home now, from the battery it reports: the flight home at
 * the speed it really flies (ramps included) plus the landing, at the rate it really
 * drains, on top of its reserve. The endurance model only plans; this decides.
 */
export function returnNeed(i: ReturnInput): ReturnNeed {
  const homeS = restToRestLeg(i.distanceHomeM, { ...i.flight, speedMps: Math.max(0.5, i.homeSpeedMps) }).timeS + i.landingS;
  const needPct = i.reservePct + i.drainPctPerS * homeS;
  const spareS = i.drainPctPerS > 0 ? Math.max(0, (i.batteryPct - needPct) / i.drainPctPerS) : Infinity;
  return { needPct, mustReturn: i.batteryPct <= needPct, spareS };
}

/**
 * Battery drain from a drone's own reports while it flies. Percentages come in whole
 * steps, so the rate is taken over a window of at least `minWindowS` and two steps; until
 * then (and whenever it looks better than the model) the model's rate stands.
 */
export class DrainMeter {
  private first: { tMs: number; pct: number } | undefined;
  private last: { tMs: number; pct: number } | undefined;

  constructor(
    /** The endurance model's rate: 100 % over the site's enduranceS. */
    readonly modelPctPerS: number,
    private readonly minWindowS = 30,
  ) {}

  /** Feeds one report taken while airborne. */
  sample(tMs: number, pct: number): void {
    // A battery swap or a reset shows as a rise: start again.
    if (this.last && pct > this.last.pct + 1) this.first = undefined;
    if (!this.first) this.first = { tMs, pct };
    this.last = { tMs, pct };
  }

  /** Measured rate when the window is long enough, else undefined. */
  get measuredPctPerS(): number | undefined {
    if (!this.first || !this.last) return undefined;
    const dtS = (this.last.tMs - this.first.tMs) / 1000;
    const drop = this.first.pct - this.last.pct;
    if (dtS < this.minWindowS || drop < 2) return undefined;
    return drop / dtS;
  }

  /** The rate decisions use: the measured one when it is worse than the model, else the model's. */
  get pctPerS(): number {
    return Math.max(this.modelPctPerS, this.measuredPctPerS ?? 0);
  }
}
