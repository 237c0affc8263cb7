import type { RingId } from '../../site/schema.ts';
import { distXy, type Xy } from '../geo/local-frame.ts';
import type { FleetDrone, PlanOptions } from './types.ts';

export interface RingDemand {
  ringId: RingId;
  loopLengthM: number;
  /** One lap at the commanded speed, corners included (lap-time.ts). */
  lapS: number;
  loop: Xy[];
  responseTargetS: number;
  /** Fixed slot count from the site file (patrolDrones). */
  fixedSlots?: number;
  /** Revisit target from the site file: slots = ceil(lap / target). */
  revisitTargetS?: number;
}

export interface RingAllocation {
  ringId: RingId;
  slots: number;
  droneIds: string[];
  speedMps: number;
}

/**
 * Expected flight time from a dock to where a handover happens, take-off included.
 * Handovers happen wherever the slot is at the time, so the mean distance to the loop
 * is the honest estimate (the nearest point would understaff distant rings).
 */
export function transitS(dockXy: Xy, loop: Xy[], speedMps: number, opts: PlanOptions): number {
  let sum = 0;
  for (const p of loop) sum += distXy(dockXy, p);
  return opts.takeoffS + sum / Math.max(1, loop.length) / speedMps;
}

/** Time on station a fully charged drone gives after flying there and keeping enough to fly home. */
export function onStationS(d: FleetDrone, transitOutS: number, transitBackS: number, batteryPct = 100): number {
  return (d.enduranceS * (batteryPct - d.reservePct)) / 100 - transitOutS - transitBackS;
}

/**
 * How many drones keep one slot flying without a break: each drone is away for
 * on-station time + two transits + the battery swap, and covers only its on-station time.
 */
export function dronesPerSlot(d: FleetDrone, transit: number, opts: PlanOptions): number {
  const onS = onStationS(d, transit, transit + opts.landingS);
  if (onS <= 0) return Infinity;
  return Math.ceil((onS + 2 * transit + opts.turnaroundS) / onS);
}

/**
 * Splits the fleet between rings. Inner rings are served first (the inner ring guards
 * the core); fixed demands from the site file come next; spare drones then go, a slot
 * at a time, to the ring whose revisit interval is longest relative to its response
 * target, as long as a whole relief rotation can be staffed.
 */
export function allocateFleet(
  demands: RingDemand[],
  drones: FleetDrone[],
  docksXy: Map<string, Xy>,
  opts: PlanOptions,
  warn: (msg: string) => void,
): RingAllocation[] {
  const pool = drones.filter((d) => d.available);
  const taken = new Set<FleetDrone>();
  let spare = Math.max(0, pool.length - opts.dispatchReserve);
  const speedMps = Math.min(...drones.map((d) => d.cruiseSpeedMps));
  const allocs = new Map<RingId, RingAllocation>(demands.map((r) => [r.ringId, { ringId: r.ringId, slots: 0, droneIds: [], speedMps }]));

  // A drone's transit to a ring never changes while the fleet is split, but costs a pass
  // over the loop's vertices (over a thousand with a thousand checkpoints): rank the pool
  // once per ring and drop taken drones from the ranking, not rank it again for every
  // slot. The sort is stable and taking only removes drones, so the order of the free
  // ones, ties included, is the one a fresh ranking of the free pool would give.
  const rankings = new Map<RingId, { d: FleetDrone; t: number }[]>();
  const rankedFor = (demand: RingDemand) => {
    let ranked = rankings.get(demand.ringId);
    if (!ranked) {
      ranked = pool.map((d) => ({ d, t: transitS(docksXy.get(d.id)!, demand.loop, d.cruiseSpeedMps, opts) })).sort((a, b) => a.t - b.t);
      rankings.set(demand.ringId, ranked);
    }
    return ranked;
  };

  /** Adds one slot to the ring; `shortOk` staffs it with what is left when a full rotation is not. */
  const take = (demand: RingDemand, shortOk = false): boolean => {
    // The nearest free drones to this ring, enough for one more slot's relief rotation.
    const ranked = rankedFor(demand).filter((r) => !taken.has(r.d));
    if (ranked.length === 0) return false;
    // The k-th nearest drone's transit sets how many are needed; settle k by iterating.
    let k = 1;
    for (let i = 0; i < 5 && Number.isFinite(k); i++) {
      const far = ranked[Math.min(ranked.length, k) - 1]!;
      const need = dronesPerSlot(far.d, far.t, opts);
      if (need === k) break;
      k = need;
    }
    if (!Number.isFinite(k) || k > spare || k > ranked.length) {
      if (!shortOk || spare === 0 || !Number.isFinite(k)) return false;
      warn(`${demand.ringId} ring: ${k} drones keep one patrol slot flying through battery swaps, ${Math.min(spare, ranked.length)} available: expect gaps`);
      k = Math.min(spare, ranked.length);
    }
    const chosen = ranked.slice(0, k).map((r) => r.d);
    for (const d of chosen) taken.add(d);
    spare -= k;
    const a = allocs.get(demand.ringId)!;
    a.slots++;
    a.droneIds.push(...chosen.map((d) => d.id));
    return true;
  };

  const wanted = (r: RingDemand): number | undefined => {
    if (r.fixedSlots !== undefined) return r.fixedSlots;
    if (r.revisitTargetS !== undefined) return Math.ceil(r.lapS / r.revisitTargetS);
    return undefined;
  };

  for (const r of demands) {
    if (wanted(r) === 0) continue;
    // Every ring gets a patrol if any drone is left, even one that cannot fly without breaks.
    if (!take(r, true)) warn(`${r.ringId} ring: no drone left to patrol it`);
  }
  for (const r of demands) {
    const w = wanted(r);
    if (w === undefined) continue;
    while (allocs.get(r.ringId)!.slots < w) {
      if (!take(r)) {
        warn(`${r.ringId} ring: ${w} drones wanted on the loop, the fleet allows ${allocs.get(r.ringId)!.slots}`);
        break;
      }
    }
  }
  const flexible = demands.filter((r) => wanted(r) === undefined);
  for (;;) {
    const worst = flexible
      .map((r) => ({ r, ratio: r.lapS / Math.max(1, allocs.get(r.ringId)!.slots) / r.responseTargetS }))
      .filter(({ r }) => allocs.get(r.ringId)!.slots > 0)
      .sort((a, b) => b.ratio - a.ratio);
    if (!worst.some(({ r }) => take(r))) break;
  }
  return demands.map((r) => allocs.get(r.ringId)!);
}
