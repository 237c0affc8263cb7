/**
 * Flat-earth local frame, as ArduPilot's own Location::offset / get_distance_NE use:
 * north/east metres from a latitude-scaled degree. The vehicle integrates its position
 * every few milliseconds at 1,000-vehicle scale, and within the few kilometres a patrol
 * drone flies the error against the great circle stays under 0.1 %. turf (site/geometry)
 * is used where shapes matter: fence polygons.
 */
const EARTH_RADIUS_M = 6_378_137; // WGS-84 equatorial radius, as ArduPilot's LATLON_TO_M
const DEG = Math.PI / 180;
export const M_PER_DEG_LAT = EARTH_RADIUS_M * DEG;

export interface LatLon {
  latDeg: number;
  lonDeg: number;
}

function lonScale(latDeg: number): number {
  return Math.max(0.01, Math.cos(latDeg * DEG));
}

/** North/east metres from `from` to `to`. */
export function offsetNE(from: LatLon, to: LatLon): { n: number; e: number } {
  return {
    n: (to.latDeg - from.latDeg) * M_PER_DEG_LAT,
    e: wrapLon(to.lonDeg - from.lonDeg) * M_PER_DEG_LAT * lonScale((from.latDeg + to.latDeg) / 2),
  };
}

export function distanceNE(from: LatLon, to: LatLon): number {
  const { n, e } = offsetNE(from, to);
  return Math.hypot(n, e);
}

/** Moves a point by north/east metres (in place, returns it). */
export function moveNE<T extends LatLon>(p: T, n: number, e: number): T {
  p.latDeg += n / M_PER_DEG_LAT;
  p.lonDeg = wrapLon(p.lonDeg + e / (M_PER_DEG_LAT * lonScale(p.latDeg)));
  return p;
}

function wrapLon(d: number): number {
  return d > 180 ? d - 360 : d < -180 ? d + 360 : d;
}

/** Degrees clockwise from north of a north/east vector, in [0, 360). */
export function bearingDeg(n: number, e: number): number {
  const b = Math.atan2(e, n) / DEG;
  return b < 0 ? b + 360 : b;
}

/** Signed smallest angle from a to b, in (-180, 180]. */
export function angleDiffDeg(a: number, b: number): number {
  let d = (b - a) % 360;
  if (d > 180) d -= 360;
  if (d <= -180) d += 360;
  return d;
}

export { DEG };
