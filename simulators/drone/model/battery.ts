/**
 * Battery of a patrol quad: a share of hover power plus a drag term growing with the
 * square of airspeed, normalised so that flying at cruise speed empties it in exactly the
 * site's `enduranceS`. Voltage follows charge on a 4S pack and sags under current.
 */
const CELLS = 4;
const CAPACITY_MAH = 10_000;
/** Share of cruise power spent just hovering (induced power dominates a patrol quad). */
const HOVER_SHARE = 0.75;
/** Extra power for climbing at the full climb rate. */
const CLIMB_SHARE = 0.25;
/** Current at cruise power, amps (gives ~10 Ah over a 30-minute endurance). */
const CRUISE_CURRENT_A = 20;
const INTERNAL_RESISTANCE_OHM = 0.02;

export interface BatteryLoad {
  armed: boolean;
  landed: boolean;
  airspeedMps: number;
  climbMps: number;
}

export class Battery {
  pct: number;
  currentA = 0;

  constructor(
    initialPct: number,
    private readonly enduranceS: number,
    private readonly cruiseSpeedMps: number,
    private readonly maxClimbMps: number,
  ) {
    this.pct = Math.max(0, Math.min(100, initialPct));
  }

  /** Share of cruise power the vehicle draws now (0 when disarmed). */
  powerShare(load: BatteryLoad): number {
    if (!load.armed) return 0;
    if (load.landed) return 0.08; // motors spinning at idle on the ground
    const v = load.airspeedMps / this.cruiseSpeedMps;
    const climb = Math.max(0, load.climbMps) / this.maxClimbMps;
    return HOVER_SHARE + (1 - HOVER_SHARE) * v * v + CLIMB_SHARE * climb;
  }

  drain(dtS: number, load: BatteryLoad): void {
    const share = this.powerShare(load);
    this.currentA = share * CRUISE_CURRENT_A + 0.4; // + avionics
    this.pct = Math.max(0, this.pct - (share * 100 * dtS) / this.enduranceS);
  }

  /**
   * A dock's charger tops the pack up while the aircraft sits on it disarmed. The rate is
   * linear, as a dock's constant-current phase is over the range a patrol uses.
   */
  charge(dtS: number, pctPerMin: number): void {
    this.currentA = 0;
    this.pct = Math.min(100, this.pct + (pctPerMin * dtS) / 60);
  }

  /** A failing cell or cold pack: charge drops at once. */
  sag(points: number): void {
    this.pct = Math.max(0, this.pct - points);
  }

  get voltageV(): number {
    const restPerCell = 3.3 + 0.9 * (this.pct / 100);
    return Math.max(0, CELLS * restPerCell - this.currentA * INTERNAL_RESISTANCE_OHM);
  }

  get cellMv(): number {
    return Math.round((this.voltageV / CELLS) * 1000);
  }

  get consumedMah(): number {
    return Math.round(((100 - this.pct) / 100) * CAPACITY_MAH);
  }

  /** Seconds of flight left at hover power. */
  get timeRemainingS(): number {
    return Math.round((this.pct / 100) * (this.enduranceS / HOVER_SHARE));
  }
}
