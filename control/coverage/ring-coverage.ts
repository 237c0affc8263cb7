import type { Feature, MultiPolygon } from 'geojson';
import type { RingId } from '../../site/schema.ts';

// In a file of its own so the web console can import the live events' types without the
// coverage model (which reaches the site loader and Node's types).

/** One ring's live response coverage, as operations publish it and the console draws it. */
export interface RingCoverage {
  ringId: RingId;
  targetS: number;
  /** Shares 0-100 of the ring that some drone reaches within the target. */
  areaPct: number;
  perimeterPct: number;
  checkpointsPct: number;
  checkpointsUncovered: string[];
  /** Uncovered area as merged grid cells. */
  uncovered: Feature<MultiPolygon, { ringId: RingId; kind: 'coverage-gap' }>;
}
