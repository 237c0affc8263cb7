import { distXy, type Xy } from '../geo/local-frame.ts';
import { ARDUCOPTER_LIMITS, restToRestLeg, type FlightLimits } from '../planning/lap-time.ts';

/** A drone as response planning sees it. */
export interface ResponderState {
  id: string;
  /** Current position when airborne; undefined when on its dock. */
  airborneAt?: Xy;
  dock: Xy;
  /** The speed dispatch commands (the site's maxSpeedMps). */
  maxSpeedMps: number;
  /** What the drone really flew when last told to go fast, when that fell short of the command. */
  achievedSpeedMps?: number;
  cruiseSpeedMps: number;
  enduranceS: number;
  reservePct: number;
  batteryPct: number;
  /** Linked, healthy and not held by a task it may not leave. */
  available: boolean;
}

export interface ReachOptions {
  /** Arm, take off and climb before a docked drone starts moving. */
  launchS: number;
  /** Time to stay over the scene, budgeted in the battery check. */
  onSceneS: number;
  /** How the aircraft accelerates (the legs start and end at rest). */
  flight?: Omit<FlightLimits, 'speedMps'>;
}

export const DEFAULT_REACH_OPTIONS: ReachOptions = { launchS: 30, onSceneS: 120 };

/** The speed a dispatched drone really flies: the command, capped by what it achieved. */
export function responseSpeedMps(d: Pick<ResponderState, 'maxSpeedMps' | 'achievedSpeedMps'>): number {
  return Math.min(d.maxSpeedMps, d.achievedSpeedMps ?? Infinity);
}

/** Seconds until the drone is over `target`, or Infinity when it cannot go and still get home with its reserve. */
export function etaS(d: ResponderState, target: Xy, opts: ReachOptions): number {
  if (!d.available) return Infinity;
  const from = d.airborneAt ?? d.dock;
  const flight = opts.flight ?? ARDUCOPTER_LIMITS;
  // One straight leg from rest to rest at the speed it really flies (ramps included).
  const toS = (d.airborneAt ? 0 : opts.launchS) + restToRestLeg(distXy(from, target), { ...flight, speedMps: responseSpeedMps(d) }).timeS;
  const homeS = restToRestLeg(distXy(target, d.dock), { ...flight, speedMps: d.cruiseSpeedMps }).timeS;
  const needPct = ((toS + opts.onSceneS + homeS) / d.enduranceS) * 100;
  return needPct <= d.batteryPct - d.reservePct ? toS : Infinity;
}
