import type { FeatureCollection } from 'geojson';
import type { Point, RingId } from '../../site/schema.ts';
import { ARDUCOPTER_LIMITS, type FlightLimits } from './lap-time.ts';

/** A drone as the planner sees it now. */
export interface FleetDrone {
  id: string;
  dock: Point;
  cruiseSpeedMps: number;
  enduranceS: number;
  /** Battery share kept for the flight home, never planned away. */
  reservePct: number;
  batteryPct: number;
  /** False when offline, in maintenance or busy with an alarm. */
  available: boolean;
}

export interface PlanOptions {
  /** How far inside the ring's outer boundary the loop runs. */
  insetM: number;
  /** Clearance kept from every no-fly zone. */
  nfzMarginM: number;
  /** How far ahead sorties and reliefs are scheduled. */
  horizonS: number;
  /** Landing to ready again: battery swap and checks. */
  turnaroundS: number;
  /** Arming, take-off and climb before the transit starts. */
  takeoffS: number;
  /**
   * Descent and landing after the flight home, budgeted from the battery: a drone that
   * reaches its dock with exactly its reserve still has to come down.
   */
  landingS: number;
  /** Drones held back on the ground for alarm dispatch. */
  dispatchReserve: number;
  /** How the aircraft flies waypoints (acceleration, jerk, corner radius): lap times come from it. */
  flight: Omit<FlightLimits, 'speedMps'>;
  /**
   * The fastest the autopilot flies mission legs, whatever the site's cruise speed says.
   * ArduCopter SITL 4.7-dev with default parameters flew its WPNAV_SPEED default of
   * 10 m/s on every leg although the mission carried DO_CHANGE_SPEED 12 (after the
   * take-off and again mid-mission): measured on 300 m legs, 2026-11-30. Patrols are
   * planned and commanded at min(cruise, this). Unlimited by default, because the demo
   * fleet's coverage is planned at its 12 m/s cruise: a site flying ArduCopters at their
   * default WPNAV_SPEED sets 10 here (or raises WPNAV_SPEED on the vehicles). Loops
   * with short legs (the demo containment ring) are corner-limited below 10 m/s anyway.
   */
  missionSpeedCapMps: number;
}

export const DEFAULT_PLAN_OPTIONS: PlanOptions = {
  insetM: 100,
  nfzMarginM: 50,
  horizonS: 2 * 3600,
  turnaroundS: 300,
  takeoffS: 30,
  landingS: 45,
  dispatchReserve: 0,
  flight: ARDUCOPTER_LIMITS,
  missionSpeedCapMps: Number.POSITIVE_INFINITY,
};

export interface Sortie {
  droneId: string;
  ringId: RingId;
  slot: number;
  launchAtMs: number;
  onStationAtMs: number;
  offStationAtMs: number;
  landAtMs: number;
  /** Where on the loop (arc length from the loop start) the drone joins it. */
  joinAtM: number;
  relief: boolean;
}

export interface CoverageGap {
  slot: number;
  fromMs: number;
  toMs: number;
}

export interface PatrolWaypoint extends Point {
  checkpointId?: string;
}

export interface RingPlan {
  ringId: RingId;
  name: string;
  altitudeRelM: number;
  loop: PatrolWaypoint[];
  loopLengthM: number;
  /** The speed the mission commands on the loop (DO_CHANGE_SPEED). */
  speedMps: number;
  /**
   * One lap as the aircraft really flies it at `speedMps`: it slows for every corner
   * (lap-time.ts), so this is longer than length / speed.
   */
  lapS: number;
  /** loopLengthM / lapS: the speed the drones average on the loop. */
  meanSpeedMps: number;
  /** Drones on the loop at once, evenly spaced. */
  slots: number;
  /** Every drone that flies this ring's sorties, reliefs included. */
  drones: string[];
  /** Longest time between two passes over any point of the loop: lapS / slots. */
  revisitIntervalS: number;
  /** When every slot is first on station; slot positions are defined from here. */
  epochMs: number;
  checkpointsCovered: string[];
  checkpointsMissed: { id: string; reason: string }[];
  sorties: Sortie[];
  gaps: CoverageGap[];
}

export interface PatrolPlan {
  createdAtMs: number;
  rings: RingPlan[];
  idleDrones: string[];
  warnings: string[];
  geojson: FeatureCollection;
}
