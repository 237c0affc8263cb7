import { describe, expect, it } from 'vitest';
import { booleanWithin, polygon } from '@turf/turf';
import { polygonWithin } from '../../site/polygon-within.ts';
import { shapeWithin } from '../../site/geometry.ts';

// Issue 12, item 2: Turf's booleanWithin took 4–8 s on two 2,000-vertex rings. The
// replacement must decide exactly as Turf did on ordinary shapes, and fast on large ones.

/** A deterministic pseudo-random generator, so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** A star-shaped (hence simple) polygon around (cx, cy). */
function star(r: () => number, cx: number, cy: number, radius: number, n: number): [number, number][] {
  return Array.from({ length: n }, (_, i) => {
    const a = (2 * Math.PI * i) / n;
    const rr = radius * (0.5 + r());
    return [cx + rr * Math.cos(a), cy + rr * Math.sin(a)];
  });
}

const closed = (ring: [number, number][]) => polygon([[...ring, ring[0]!]]);

describe('polygonWithin', () => {
  it('agrees with Turf booleanWithin on 500 random pairs of simple polygons', () => {
    const r = rng(12);
    let within = 0;
    for (let k = 0; k < 500; k++) {
      const outer = star(r, 120, 30, 0.01, 3 + Math.floor(r() * 20));
      const inner = star(r, 120 + (r() - 0.5) * 0.01, 30 + (r() - 0.5) * 0.01, 0.002 + r() * 0.006, 3 + Math.floor(r() * 20));
      const expected = booleanWithin(closed(inner), closed(outer));
      expect(polygonWithin(inner, outer), `case ${k}`).toBe(expected);
      if (expected) within++;
    }
    // Both answers occur, or the comparison proves little.
    expect(within).toBeGreaterThan(50);
    expect(within).toBeLessThan(450);
  });

  it('refuses an inner polygon that pokes out between two outer vertices', () => {
    const outer: [number, number][] = [[0, 0], [10, 0], [10, 10], [0, 10]];
    expect(polygonWithin([[1, 1], [9, 1], [5, 11]], outer)).toBe(false);
    expect(polygonWithin([[1, 1], [9, 1], [5, 9]], outer)).toBe(true);
    // A concave outer whose notch cuts into the inner polygon, all inner vertices inside.
    const notched: [number, number][] = [[0, 0], [10, 0], [10, 10], [5, 4], [0, 10]];
    expect(polygonWithin([[1, 1], [9, 1], [9, 6], [1, 6]], notched)).toBe(false);
  });

  it('decides two 2,000-point rings in well under a second', () => {
    const ring = (radius: number) => ({ type: 'polygon' as const, points: Array.from({ length: 2000 }, (_, i) => ({ latDeg: 30 + radius * Math.cos((2 * Math.PI * i) / 2000), lonDeg: 120 + radius * Math.sin((2 * Math.PI * i) / 2000) })) });
    const t0 = performance.now();
    expect(shapeWithin(ring(0.01), ring(0.02))).toBe(true);
    expect(shapeWithin(ring(0.02), ring(0.01))).toBe(false);
    // Turf took 4–8 s here; even a very busy machine does this in far less than 3 s.
    expect(performance.now() - t0).toBeLessThan(3_000);
  });
});
