/**
 * The simulator's flight behaviours. ArduPilot Copter's modes are the base set; PX4's
 * modes map onto them (Hold → GUIDED's position hold, Mission → AUTO…) plus the two PX4
 * has and Copter lacks: TAKEOFF (AUTO.TAKEOFF, climb then Hold) and OFFBOARD (the only
 * mode in which PX4 follows SET_POSITION_TARGET_*). Wire numbers live in the
 * personalities (personality/ardupilot.ts, personality/px4.ts).
 */
export const MODE_NAMES = ['STABILIZE', 'ALT_HOLD', 'AUTO', 'GUIDED', 'LOITER', 'RTL', 'LAND', 'BRAKE', 'TAKEOFF', 'OFFBOARD'] as const;
export type ModeName = (typeof MODE_NAMES)[number];
/** Kept for readers of the older name. */
export type CopterModeName = ModeName;

/** Modes that need a position estimate (Copter: Mode::requires_GPS()). */
export function requiresPosition(m: ModeName): boolean {
  return m === 'AUTO' || m === 'GUIDED' || m === 'LOITER' || m === 'RTL' || m === 'BRAKE' || m === 'TAKEOFF' || m === 'OFFBOARD';
}

/** Modes Copter lets you arm in (AUTO, RTL and LAND answer "Mode not armable"). */
export function allowsArming(m: ModeName): boolean {
  return m === 'STABILIZE' || m === 'ALT_HOLD' || m === 'GUIDED' || m === 'LOITER' || m === 'BRAKE' || m === 'TAKEOFF' || m === 'OFFBOARD';
}

/** Modes with a pilot/GCS takeoff (Copter: Mode::has_user_takeoff). */
export function hasUserTakeoff(m: ModeName): boolean {
  return m === 'GUIDED' || m === 'LOITER' || m === 'ALT_HOLD' || m === 'TAKEOFF';
}

