/** Small-distance geodesy for the field checks (haversine; metres and degrees in names). */
const EARTH_RADIUS_M = 6_371_008.8;
const rad = (deg: number) => (deg * Math.PI) / 180;

export interface LatLon {
  latDeg: number;
  lonDeg: number;
}

export function distanceM(a: LatLon, b: LatLon): number {
  const dLat = rad(b.latDeg - a.latDeg);
  const dLon = rad(b.lonDeg - a.lonDeg);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.latDeg)) * Math.cos(rad(b.latDeg)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** The point `fraction` of the way from `a` to `b` (linear in degrees: fine over a few km). */
export function towards(a: LatLon, b: LatLon, fraction: number): LatLon {
  return { latDeg: a.latDeg + (b.latDeg - a.latDeg) * fraction, lonDeg: a.lonDeg + (b.lonDeg - a.lonDeg) * fraction };
}

/** Distance from `p` to the closed polyline `loop` (metres, equirectangular about `p`). */
export function distanceToLoopM(p: LatLon, loop: LatLon[]): number {
  const mPerDegLat = 111_320;
  const mPerDegLon = 111_320 * Math.cos(rad(p.latDeg));
  const xy = (q: LatLon) => ({ x: (q.lonDeg - p.lonDeg) * mPerDegLon, y: (q.latDeg - p.latDeg) * mPerDegLat });
  let best = Infinity;
  for (let i = 0; i < loop.length; i++) {
    const a = xy(loop[i]!);
    const b = xy(loop[(i + 1) % loop.length]!);
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const len2 = dx * dx + dy * dy;
    const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, -(a.x * dx + a.y * dy) / len2));
    best = Math.min(best, Math.hypot(a.x + t * dx, a.y + t * dy));
  }
  return best;
}

/**
 * A point `radiusM` from `center` whose straight-line distance from `from` is `rangeM`
 * (as near as the geometry allows): the alarm point for a dispatch from the loop.
 */
export function pointAtRange(center: LatLon, from: LatLon, radiusM: number, rangeM: number): LatLon {
  const mPerDegLat = 111_320;
  const mPerDegLon = 111_320 * Math.cos(rad(center.latDeg));
  const fx = (from.lonDeg - center.lonDeg) * mPerDegLon;
  const fy = (from.latDeg - center.latDeg) * mPerDegLat;
  const fromR = Math.hypot(fx, fy);
  const cos = fromR === 0 ? 1 : (fromR ** 2 + radiusM ** 2 - rangeM ** 2) / (2 * fromR * radiusM);
  const theta = Math.acos(Math.max(-1, Math.min(1, cos)));
  const base = Math.atan2(fy, fx) + theta;
  return { latDeg: center.latDeg + (radiusM * Math.sin(base)) / mPerDegLat, lonDeg: center.lonDeg + (radiusM * Math.cos(base)) / mPerDegLon };
}
