import type { Site } from '../../site/load.ts';
import type { RingId } from '../../site/schema.ts';
import { LocalFrame, type Xy } from '../geo/local-frame.ts';
import { densify, pointInPolygonXy } from '../geo/polyline.ts';
import { shapeToXy } from '../geo/shapes.ts';
import { ringOf } from '../planning/plan.ts';
import { DEFAULT_REACH_OPTIONS, etaS, type ReachOptions, type ResponderState } from './reach.ts';
import type { RingCoverage } from './ring-coverage.ts';

export type { RingCoverage } from './ring-coverage.ts';

interface RingSamples {
  ringId: RingId;
  targetS: number;
  cells: Xy[];
  perimeter: Xy[];
  checkpoints: { id: string; xy: Xy }[];
}

/**
 * Live response coverage. The sample points (a grid over each ring's area, points
 * along its outer boundary, its checkpoints) depend only on the site, so they are laid
 * out once; `evaluate` is then plain arithmetic over samples x drones and can run on
 * every telemetry tick (about 3 ms for the demo site with 60 drones).
 */
export class CoverageModel {
  readonly frame: LocalFrame;
  private readonly rings: RingSamples[];

  constructor(
    private readonly site: Site,
    readonly gridM = 100,
    private readonly opts: ReachOptions = DEFAULT_REACH_OPTIONS,
  ) {
    this.frame = new LocalFrame(site.core.shape.type === 'circle' ? site.core.shape.center : site.core.shape.points[0]!);
    this.rings = site.rings.map((ring, i) => {
      const outer = shapeToXy(ring.shape, this.frame);
      const inner = shapeToXy(i === 0 ? site.core.shape : site.rings[i - 1]!.shape, this.frame);
      return {
        ringId: ring.id,
        targetS: ring.responseTargetS,
        cells: gridInside(outer, inner, gridM),
        perimeter: densify(outer, gridM / 2, true),
        checkpoints: site.checkpoints.filter((c) => ringOf(site, c.position) === ring.id).map((c) => ({ id: c.id, xy: this.frame.toXy(c.position) })),
      };
    });
  }

  evaluate(drones: ResponderState[]): RingCoverage[] {
    const live = drones.filter((d) => d.available);
    const reached = (q: Xy, targetS: number) => live.some((d) => etaS(d, q, this.opts) <= targetS);
    return this.rings.map((r) => {
      const cellOk = r.cells.map((q) => reached(q, r.targetS));
      const perimeterOk = r.perimeter.filter((q) => reached(q, r.targetS)).length;
      const uncoveredCps = r.checkpoints.filter((c) => !reached(c.xy, r.targetS)).map((c) => c.id);
      return {
        ringId: r.ringId,
        targetS: r.targetS,
        areaPct: pct(cellOk.filter(Boolean).length, cellOk.length),
        perimeterPct: pct(perimeterOk, r.perimeter.length),
        checkpointsPct: pct(r.checkpoints.length - uncoveredCps.length, r.checkpoints.length),
        checkpointsUncovered: uncoveredCps,
        uncovered: this.gapFeature(r, cellOk),
      };
    });
  }

  /** Uncovered cells merged along each grid row into rectangles, as one MultiPolygon. */
  private gapFeature(r: RingSamples, ok: boolean[]): RingCoverage['uncovered'] {
    const half = this.gridM / 2;
    const polys: number[][][][] = [];
    let run: { y: number; x0: number; x1: number } | undefined;
    const flush = () => {
      if (!run) return;
      const corners = [
        { xM: run.x0 - half, yM: run.y - half },
        { xM: run.x1 + half, yM: run.y - half },
        { xM: run.x1 + half, yM: run.y + half },
        { xM: run.x0 - half, yM: run.y + half },
      ].map((q) => this.frame.toPoint(q));
      const ring = corners.map((p) => [p.lonDeg, p.latDeg]);
      polys.push([[...ring, ring[0]!]]);
      run = undefined;
    };
    r.cells.forEach((c, i) => {
      const adjacent = run && run.y === c.yM && Math.abs(c.xM - run.x1 - this.gridM) < 1e-6;
      if (ok[i]) return flush();
      if (adjacent) run!.x1 = c.xM;
      else {
        flush();
        run = { y: c.yM, x0: c.xM, x1: c.xM };
      }
    });
    flush();
    return { type: 'Feature', geometry: { type: 'MultiPolygon', coordinates: polys }, properties: { ringId: r.ringId, kind: 'coverage-gap' } };
  }
}

function pct(n: number, of: number): number {
  return of === 0 ? 100 : Math.round((1000 * n) / of) / 10;
}

/** Cell centres of a square grid inside `outer` and outside `inner`, row by row. */
function gridInside(outer: Xy[], inner: Xy[], gridM: number): Xy[] {
  const xs = outer.map((p) => p.xM);
  const ys = outer.map((p) => p.yM);
  const out: Xy[] = [];
  // Snap the grid to multiples of gridM so rows line up across rings.
  for (let y = Math.ceil(Math.min(...ys) / gridM) * gridM; y <= Math.max(...ys); y += gridM) {
    for (let x = Math.ceil(Math.min(...xs) / gridM) * gridM; x <= Math.max(...xs); x += gridM) {
      const q = { xM: x, yM: y };
      if (pointInPolygonXy(q, outer) && !pointInPolygonXy(q, inner)) out.push(q);
    }
  }
  return out;
}
