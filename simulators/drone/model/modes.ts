/** ArduPilot Copter custom modes (HEARTBEAT.custom_mode) that ringwatch uses. */
export const CopterMode = {
  STABILIZE: 0,
  ALT_HOLD: 2,
  AUTO: 3,
  GUIDED: 4,
  LOITER: 5,
  RTL: 6,
  LAND: 9,
  BRAKE: 17,
} as const;
export type CopterModeName = keyof typeof CopterMode;
export type CopterModeNumber = (typeof CopterMode)[CopterModeName];

const BY_NUMBER = new Map<number, CopterModeName>(
  Object.entries(CopterMode).map(([name, n]) => [n, name as CopterModeName]),
);

export function modeName(n: number): CopterModeName | undefined {
  return BY_NUMBER.get(n);
}

/** Modes that need a position estimate (Copter: Mode::requires_GPS()). */
export function requiresPosition(m: CopterModeName): boolean {
  return m === 'AUTO' || m === 'GUIDED' || m === 'LOITER' || m === 'RTL' || m === 'BRAKE';
}

/** Modes Copter lets you arm in (AUTO, RTL and LAND answer "Mode not armable"). */
export function allowsArming(m: CopterModeName): boolean {
  return m === 'STABILIZE' || m === 'ALT_HOLD' || m === 'GUIDED' || m === 'LOITER' || m === 'BRAKE';
}

/** Modes with a pilot/GCS takeoff (Copter: Mode::has_user_takeoff). */
export function hasUserTakeoff(m: CopterModeName): boolean {
  return m === 'GUIDED' || m === 'LOITER' || m === 'ALT_HOLD';
}
