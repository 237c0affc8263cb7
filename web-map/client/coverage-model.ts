/**
 * The coverage figures the API computes (GET /api/coverage, `coverage` live events),
 * judged against each ring's promise. Pure: tested in Node (tests/web-map/coverage-model.test.ts).
 */

export interface RingCoverageView {
  ringId: string;
  targetS: number;
  areaPct: number;
  perimeterPct: number;
  checkpointsPct: number;
  checkpointsUncovered: string[];
  uncovered?: unknown;
}

/**
 * ok: the ring's promise holds (nearly all its area and every checkpoint within target);
 * partial: gaps; unreachable: most of the ring cannot be reached in time.
 */
export type CoverageVerdict = 'ok' | 'partial' | 'unreachable';

/** Below this share of area the promise is considered kept only in part. */
export const COVERAGE_OK_AREA_PCT = 95;
/** Below this share of area the ring as a whole cannot be reached in time. */
export const COVERAGE_UNREACHABLE_AREA_PCT = 50;

export function verdict(c: RingCoverageView): CoverageVerdict {
  if (c.areaPct < COVERAGE_UNREACHABLE_AREA_PCT) return 'unreachable';
  if (c.areaPct < COVERAGE_OK_AREA_PCT || c.checkpointsUncovered.length > 0) return 'partial';
  return 'ok';
}

/** Rows in ring order (innermost first), dropping anything malformed from the wire. */
export function coverageRows(data: readonly unknown[], ringOrder: readonly string[]): (RingCoverageView & { verdict: CoverageVerdict })[] {
  const rows = data.filter((x): x is RingCoverageView => {
    const c = x as Partial<RingCoverageView> | null;
    return !!c && typeof c.ringId === 'string' && typeof c.areaPct === 'number' && typeof c.perimeterPct === 'number' && typeof c.checkpointsPct === 'number' && Array.isArray(c.checkpointsUncovered);
  });
  const rank = (id: string) => (ringOrder.includes(id) ? ringOrder.indexOf(id) : ringOrder.length);
  return rows.sort((a, b) => rank(a.ringId) - rank(b.ringId)).map((c) => ({ ...c, verdict: verdict(c) }));
}
