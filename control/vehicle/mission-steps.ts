/**
 * What a mission or a geofence means, in ringwatch's words: the vocabulary the planner
 * speaks (control/planning) and the one encoder (mission-encoder.ts) turns into MAVLink
 * items for each autopilot. No MAV_CMD numbers, frames, parameter slots or wire sequence
 * numbers here: a step's position in its list is its only index. Types only, no imports,
 * so planning depends on nothing of the wire (tests/architecture.test.ts checks it).
 */

export interface LatLon {
  latDeg: number;
  lonDeg: number;
}

/** Climb where the vehicle stands to `altRelM` above home. `at` is where it stands (the dock). */
export interface TakeoffStep {
  kind: 'takeoff';
  altRelM: number;
  at?: LatLon;
}

/** Fly mission legs from here on at this ground speed. */
export interface SpeedStep {
  kind: 'speed';
  speedMps: number;
}

/** Fly to a point at a height above home; `acceptRadiusM` 0 or absent leaves the autopilot's default. */
export interface WaypointStep extends LatLon {
  kind: 'waypoint';
  altRelM: number;
  acceptRadiusM?: number;
  holdS?: number;
}

/** Hold over a point for a time, then go on. */
export interface LoiterStep extends LatLon {
  kind: 'loiter';
  altRelM: number;
  timeS: number;
}

/**
 * Go back to step `toStepIndex` (an index in the same step list) `repeat` more times:
 * the steps from there to here are flown `repeat + 1` times in all.
 */
export interface LoopStep {
  kind: 'loop';
  toStepIndex: number;
  repeat: number;
}

/** Fly home and land (the autopilot's return-to-launch). */
export interface ReturnStep {
  kind: 'return';
}

export type MissionStep = TakeoffStep | SpeedStep | WaypointStep | LoiterStep | LoopStep | ReturnStep;

/** Stay inside this polygon (at least 3 vertices, in order round it). */
export interface FenceInclusionStep {
  kind: 'fence_inclusion';
  points: LatLon[];
}

/** Stay out of this polygon. */
export interface FenceExclusionStep {
  kind: 'fence_exclusion';
  points: LatLon[];
}

/** Stay inside this circle. */
export interface FenceInclusionCircleStep {
  kind: 'fence_inclusion_circle';
  center: LatLon;
  radiusM: number;
}

/** Stay out of this circle (a round no-fly zone). */
export interface FenceExclusionCircleStep {
  kind: 'fence_exclusion_circle';
  center: LatLon;
  radiusM: number;
}

export type FenceStep = FenceInclusionStep | FenceExclusionStep | FenceInclusionCircleStep | FenceExclusionCircleStep;
