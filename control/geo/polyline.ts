import { distXy, type Xy } from './local-frame.ts';

/** Plane geometry on local-frame polylines and polygons (arrays of vertices, not closed). */

export function pathLengthM(path: Xy[], closed: boolean): number {
  let total = 0;
  for (let i = 1; i < path.length; i++) total += distXy(path[i - 1]!, path[i]!);
  if (closed && path.length > 1) total += distXy(path[path.length - 1]!, path[0]!);
  return total;
}

/** The point at arc length `sM` along the path (wrapping when closed). */
export function pointAlong(path: Xy[], sM: number, closed: boolean): Xy {
  const n = path.length;
  const segs = closed ? n : n - 1;
  const total = pathLengthM(path, closed);
  let s = closed ? ((sM % total) + total) % total : Math.min(Math.max(sM, 0), total);
  for (let i = 0; i < segs; i++) {
    const a = path[i]!;
    const b = path[(i + 1) % n]!;
    const len = distXy(a, b);
    if (s <= len || i === segs - 1) {
      const t = len === 0 ? 0 : Math.min(s / len, 1);
      return { xM: a.xM + (b.xM - a.xM) * t, yM: a.yM + (b.yM - a.yM) * t };
    }
    s -= len;
  }
  return path[0]!;
}

/** Nearest point on the path to q: its arc length, segment index and distance. */
export function projectOnPath(path: Xy[], q: Xy, closed: boolean): { sM: number; segment: number; distM: number; at: Xy } {
  const n = path.length;
  const segs = closed ? n : n - 1;
  let best = { sM: 0, segment: 0, distM: Infinity, at: path[0]! };
  let s0 = 0;
  for (let i = 0; i < segs; i++) {
    const a = path[i]!;
    const b = path[(i + 1) % n]!;
    const dx = b.xM - a.xM;
    const dy = b.yM - a.yM;
    const len2 = dx * dx + dy * dy;
    const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((q.xM - a.xM) * dx + (q.yM - a.yM) * dy) / len2));
    const at = { xM: a.xM + dx * t, yM: a.yM + dy * t };
    const d = distXy(at, q);
    if (d < best.distM) best = { sM: s0 + Math.sqrt(len2) * t, segment: i, distM: d, at };
    s0 += Math.sqrt(len2);
  }
  return best;
}

/** Ray casting; points on the boundary may fall either way. */
export function pointInPolygonXy(q: Xy, poly: Xy[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const a = poly[i]!;
    const b = poly[j]!;
    if (a.yM > q.yM !== b.yM > q.yM && q.xM < ((b.xM - a.xM) * (q.yM - a.yM)) / (b.yM - a.yM) + a.xM) inside = !inside;
  }
  return inside;
}

/** Intersection parameter t on segment p→p2 and u on q→q2, or undefined when parallel/outside. */
export function segmentIntersection(p: Xy, p2: Xy, q: Xy, q2: Xy): { t: number; u: number } | undefined {
  const rx = p2.xM - p.xM;
  const ry = p2.yM - p.yM;
  const sx = q2.xM - q.xM;
  const sy = q2.yM - q.yM;
  const denom = rx * sy - ry * sx;
  if (Math.abs(denom) < 1e-12) return undefined;
  const qpx = q.xM - p.xM;
  const qpy = q.yM - p.yM;
  const t = (qpx * sy - qpy * sx) / denom;
  const u = (qpx * ry - qpy * rx) / denom;
  if (t < 0 || t > 1 || u < 0 || u > 1) return undefined;
  return { t, u };
}

/** Adds vertices so no segment is longer than maxSegmentM (closed paths include the closing edge). */
export function densify(path: Xy[], maxSegmentM: number, closed: boolean): Xy[] {
  const out: Xy[] = [];
  const n = path.length;
  const segs = closed ? n : n - 1;
  for (let i = 0; i < segs; i++) {
    const a = path[i]!;
    const b = path[(i + 1) % n]!;
    const pieces = Math.max(1, Math.ceil(distXy(a, b) / maxSegmentM));
    for (let k = 0; k < pieces; k++) out.push({ xM: a.xM + ((b.xM - a.xM) * k) / pieces, yM: a.yM + ((b.yM - a.yM) * k) / pieces });
  }
  if (!closed) out.push(path[n - 1]!);
  return out;
}

/** A circle as a regular polygon whose edges stay outside the true circle (circumscribed). */
export function circlePolygon(center: Xy, radiusM: number, steps = 48): Xy[] {
  // Circumscribing keeps every edge at least radiusM from the centre: safe for no-fly zones.
  const r = radiusM / Math.cos(Math.PI / steps);
  const out: Xy[] = [];
  for (let i = 0; i < steps; i++) {
    const a = (2 * Math.PI * i) / steps;
    out.push({ xM: center.xM + r * Math.cos(a), yM: center.yM + r * Math.sin(a) });
  }
  return out;
}

export function polygonAreaM2(poly: Xy[]): number {
  let a = 0;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) a += poly[j]!.xM * poly[i]!.yM - poly[i]!.xM * poly[j]!.yM;
  return Math.abs(a) / 2;
}

/**
 * Points along a closed path by arc length in O(log n), for the hot loops of planning
 * that ask for many positions on the same loop (pointAlong walks it from the start).
 */
export class LoopWalker {
  private readonly cum: number[];
  readonly lengthM: number;

  constructor(private readonly path: Xy[]) {
    this.cum = [0];
    for (let i = 0; i < path.length; i++) this.cum.push(this.cum[i]! + distXy(path[i]!, path[(i + 1) % path.length]!));
    this.lengthM = this.cum[path.length]!;
  }

  at(sM: number): Xy {
    const L = this.lengthM;
    const s = ((sM % L) + L) % L;
    let lo = 0;
    let hi = this.path.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.cum[mid]! <= s) lo = mid;
      else hi = mid - 1;
    }
    const a = this.path[lo]!;
    const b = this.path[(lo + 1) % this.path.length]!;
    const seg = this.cum[lo + 1]! - this.cum[lo]!;
    const t = seg === 0 ? 0 : (s - this.cum[lo]!) / seg;
    return { xM: a.xM + (b.xM - a.xM) * t, yM: a.yM + (b.yM - a.yM) * t };
  }
}
