/**
 * WGS-84 ⇄ GCJ-02 ("Mars coordinates"), the obfuscated datum Chinese basemaps (AMap,
 * Tencent) are drawn in. All ringwatch data stays WGS-84; the map converts positions
 * only at the moment it draws them over such a basemap. This is the widely published
 * transform (Krasovsky 1940 ellipsoid); outside China it is the identity, as the
 * providers' own SDKs do. The inverse is iterative: GCJ-02 has no closed-form inverse.
 */

const A = 6378245.0; // Krasovsky semi-major axis, m
const EE = 0.006693421622965943; // Krasovsky eccentricity squared

export interface LatLon {
  latDeg: number;
  lonDeg: number;
}

/** The rough bounding box the offset applies in (the transform's customary test). */
export function outOfChina(latDeg: number, lonDeg: number): boolean {
  return lonDeg < 72.004 || lonDeg > 137.8347 || latDeg < 0.8293 || latDeg > 55.8271;
}

function transformLat(x: number, y: number): number {
  let r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  r += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0;
  r += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0;
  return r;
}

function transformLon(x: number, y: number): number {
  let r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  r += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0;
  r += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0;
  return r;
}

/** WGS-84 → GCJ-02. Pure. */
export function wgs84ToGcj02(latDeg: number, lonDeg: number): LatLon {
  if (outOfChina(latDeg, lonDeg)) return { latDeg, lonDeg };
  let dLat = transformLat(lonDeg - 105.0, latDeg - 35.0);
  let dLon = transformLon(lonDeg - 105.0, latDeg - 35.0);
  const radLat = (latDeg / 180.0) * Math.PI;
  let magic = Math.sin(radLat);
  magic = 1 - EE * magic * magic;
  const sqrtMagic = Math.sqrt(magic);
  dLat = (dLat * 180.0) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI);
  dLon = (dLon * 180.0) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return { latDeg: latDeg + dLat, lonDeg: lonDeg + dLon };
}

/**
 * GCJ-02 → WGS-84 by fixed-point iteration (a click on a GCJ-02 basemap back to the
 * datum the drones fly in). Converges to well under a millimetre in a few steps.
 */
export function gcj02ToWgs84(latDeg: number, lonDeg: number, maxIter = 10): LatLon {
  if (outOfChina(latDeg, lonDeg)) return { latDeg, lonDeg };
  let lat = latDeg;
  let lon = lonDeg;
  for (let i = 0; i < maxIter; i++) {
    const g = wgs84ToGcj02(lat, lon);
    const eLat = g.latDeg - latDeg;
    const eLon = g.lonDeg - lonDeg;
    lat -= eLat;
    lon -= eLon;
    if (Math.abs(eLat) < 1e-10 && Math.abs(eLon) < 1e-10) break;
  }
  return { latDeg: lat, lonDeg: lon };
}

/** The datum the basemap is drawn in; 'wgs84' leaves positions as they are. */
export type BasemapDatum = 'wgs84' | 'gcj02';

/** A pair of functions the map uses at its edges: data → screen datum, and back for clicks. */
export function datumProjection(datum: BasemapDatum): { toMap: (p: LatLon) => LatLon; fromMap: (p: LatLon) => LatLon } {
  if (datum === 'wgs84') return { toMap: (p) => p, fromMap: (p) => p };
  return { toMap: (p) => wgs84ToGcj02(p.latDeg, p.lonDeg), fromMap: (p) => gcj02ToWgs84(p.latDeg, p.lonDeg) };
}
