import { describe, expect, it } from 'vitest';
import { datumProjection, gcj02ToWgs84, outOfChina, wgs84ToGcj02 } from '../../web-map/client/gcj02.ts';

const metres = (a: { latDeg: number; lonDeg: number }, b: { latDeg: number; lonDeg: number }) => {
  const dLat = (a.latDeg - b.latDeg) * 111_320;
  const dLon = (a.lonDeg - b.lonDeg) * 111_320 * Math.cos((a.latDeg * Math.PI) / 180);
  return Math.hypot(dLat, dLon);
};

describe('GCJ-02 transform', () => {
  it('matches published reference points', () => {
    // Beijing Tiananmen: WGS-84 (39.9087, 116.3975) → GCJ-02 ≈ (39.91010, 116.40374),
    // the figures widely used to check coordtransform/eviltransform implementations.
    const bj = wgs84ToGcj02(39.9087, 116.3975);
    expect(bj.latDeg).toBeCloseTo(39.9101, 3);
    expect(bj.lonDeg).toBeCloseTo(116.40374, 3);
    // The demo site in Hangzhou: the offset is a few hundred metres, mostly east-west.
    const hz = wgs84ToGcj02(30.27, 120.065);
    const d = metres(hz, { latDeg: 30.27, lonDeg: 120.065 });
    expect(d).toBeGreaterThan(300);
    expect(d).toBeLessThan(700);
  });

  it('round-trips to well under a metre', () => {
    for (const [lat, lon] of [
      [30.27, 120.065],
      [22.543, 114.057],
      [45.75, 126.65],
      [31.23, 121.47],
    ] as const) {
      const g = wgs84ToGcj02(lat, lon);
      const back = gcj02ToWgs84(g.latDeg, g.lonDeg);
      expect(metres(back, { latDeg: lat, lonDeg: lon })).toBeLessThan(0.01);
    }
  });

  it('is the identity outside China', () => {
    expect(outOfChina(51.5, -0.12)).toBe(true);
    expect(wgs84ToGcj02(51.5, -0.12)).toEqual({ latDeg: 51.5, lonDeg: -0.12 });
    expect(gcj02ToWgs84(-33.86, 151.2)).toEqual({ latDeg: -33.86, lonDeg: 151.2 });
  });

  it('leaves positions alone for a WGS-84 basemap and converts both ways for GCJ-02', () => {
    const p = { latDeg: 30.27, lonDeg: 120.065 };
    expect(datumProjection('wgs84').toMap(p)).toBe(p);
    const gcj = datumProjection('gcj02');
    expect(gcj.toMap(p)).toEqual(wgs84ToGcj02(p.latDeg, p.lonDeg));
    expect(metres(gcj.fromMap(gcj.toMap(p)), p)).toBeLessThan(0.01);
  });
});
