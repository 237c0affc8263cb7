import { distXy, type Xy } from '../geo/local-frame.ts';

/** A drone as response planning sees it. */
export interface ResponderState {
  id: string;
  /** Current position when airborne; undefined when on its dock. */
  airborneAt?: Xy;
  dock: Xy;
  maxSpeedMps: number;
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
}

export const DEFAULT_REACH_OPTIONS: ReachOptions = { launchS: 30, onSceneS: 120 };

/** Seconds until the drone is over `target`, or Infinity when it cannot go and still get home with its reserve. */
export function etaS(d: ResponderState, target: Xy, opts: ReachOptions): number {
  if (!d.available) return Infinity;
  const from = d.airborneAt ?? d.dock;
  const toS = (d.airborneAt ? 0 : opts.launchS) + distXy(from, target) / d.maxSpeedMps;
  const homeS = distXy(target, d.dock) / d.cruiseSpeedMps;
  const needPct = ((toS + opts.onSceneS + homeS) / d.enduranceS) * 100;
  return needPct <= d.batteryPct - d.reservePct ? toS : Infinity;
}
