import type { Feature, FeatureCollection } from 'geojson';
import type { Site } from '../../site/load.ts';
import type { RingId, Shape } from '../../site/schema.ts';
import { pointInShape } from '../../site/geometry.ts';
import { LocalFrame, type Xy } from '../geo/local-frame.ts';
import { allocateFleet, transitS, type RingDemand } from './allocate.ts';
import { pathTiming } from './lap-time.ts';
import { buildRingLoop, type RingLoop } from './ring-loop.ts';
import { scheduleRing } from './schedule.ts';
import { noFlyPolygons } from './zones.ts';
import { DEFAULT_PLAN_OPTIONS, type FleetDrone, type PatrolPlan, type PlanOptions, type RingPlan } from './types.ts';

export interface PlanInput {
  site: Site;
  /** Current state of the fleet; drones of the site not listed are taken as docked and full. */
  fleet?: FleetDrone[];
  /** The injected clock: plans never read the wall clock. */
  nowMs: number;
  options?: Partial<PlanOptions>;
}

/** Which ring a point belongs to: the innermost ring whose shape holds it. */
export function ringOf(site: Site, p: { latDeg: number; lonDeg: number }): RingId | undefined {
  return site.rings.find((r) => pointInShape(p, r.shape))?.id;
}

export function fleetFromSite(site: Site): FleetDrone[] {
  return site.drones.map((d) => ({
    id: d.id,
    dock: { latDeg: d.dock.latDeg, lonDeg: d.dock.lonDeg },
    cruiseSpeedMps: d.cruiseSpeedMps,
    enduranceS: d.enduranceS,
    reservePct: d.reservePct ?? 25,
    batteryPct: 100,
    available: true,
  }));
}

/**
 * Patrol plans for all three rings: a loop per ring in its altitude band through its
 * checkpoints and around no-fly zones, the fleet split between rings, drones spaced
 * evenly in phase, and sorties with reliefs so no ring is left uncovered during a
 * battery swap. Pure: same input, same plan.
 */
export function planPatrol(input: PlanInput): PatrolPlan {
  const opts: PlanOptions = { ...DEFAULT_PLAN_OPTIONS, ...input.options };
  const { site } = input;
  const frame = new LocalFrame(site.core.shape.type === 'circle' ? site.core.shape.center : site.core.shape.points[0]!);
  const zones = noFlyPolygons(site.noFlyZones, frame, opts.nfzMarginM);
  const warnings: string[] = [];
  // Missions fly no faster than the autopilot's leg speed: plan (and command) that.
  const fleet = mergeFleet(fleetFromSite(site), input.fleet).map((d) => ({ ...d, cruiseSpeedMps: Math.min(d.cruiseSpeedMps, opts.missionSpeedCapMps) }));
  const docksXy = new Map<string, Xy>(fleet.map((d) => [d.id, frame.toXy(d.dock)]));

  const loops = new Map<RingId, RingLoop>();
  site.rings.forEach((ring, i) => {
    const innerShape: Shape = i === 0 ? site.core.shape : site.rings[i - 1]!.shape;
    const checkpoints = site.checkpoints
      .filter((c) => ringOf(site, c.position) === ring.id)
      .map((c) => ({ id: c.id, xy: frame.toXy(c.position) }));
    const loop = buildRingLoop({ frame, ringShape: ring.shape, innerShape, checkpoints, zones, insetM: opts.insetM });
    if (loop.blocked) warnings.push(`${ring.id} ring: no-fly zones leave no closed patrol loop`);
    for (const m of loop.missed) warnings.push(`${ring.id} ring: checkpoint ${m.id} not on the loop (${m.reason})`);
    loops.set(ring.id, loop);
  });

  // Loops are flown at the slowest drone's cruise speed (allocateFleet); the lap takes
  // what the aircraft really needs at that speed, corners included.
  const loopSpeedMps = Math.min(...fleet.map((d) => d.cruiseSpeedMps));
  const lapS = new Map<RingId, number>([...loops].map(([id, l]) => [id, pathTiming(l.path, true, { ...opts.flight, speedMps: loopSpeedMps }).timeS]));
  const demands: RingDemand[] = site.rings.map((r) => ({
    ringId: r.id,
    loop: loops.get(r.id)!.path,
    loopLengthM: loops.get(r.id)!.lengthM,
    lapS: lapS.get(r.id)!,
    responseTargetS: r.responseTargetS,
    ...(r.patrolDrones !== undefined ? { fixedSlots: r.patrolDrones } : {}),
    ...(r.revisitTargetS !== undefined ? { revisitTargetS: r.revisitTargetS } : {}),
  }));
  const allocations = allocateFleet(demands, fleet, docksXy, opts, (m) => warnings.push(m));

  const meanSpeed = (id: RingId) => (lapS.get(id)! > 0 ? loops.get(id)!.lengthM / lapS.get(id)! : loopSpeedMps);
  const schedule = (i: number) => {
    const allocated = new Set(allocations[i]!.droneIds);
    return scheduleRing({
      ringId: site.rings[i]!.id,
      loop: loops.get(site.rings[i]!.id)!.path,
      loopLengthM: loops.get(site.rings[i]!.id)!.lengthM,
      slots: allocations[i]!.slots,
      // Stations move round the loop at the speed the drones average, so the spacing holds.
      speedMps: meanSpeed(site.rings[i]!.id),
      drones: fleet.filter((d) => allocated.has(d.id)),
      docksXy,
      nowMs: input.nowMs,
      opts,
    });
  };
  const schedules = site.rings.map((_, i) => schedule(i));
  // The allocation estimates; the schedule is exact. Where it still shows a gap, lend
  // the ring the nearest unused drone (inner rings first) and schedule it again.
  const unallocated = fleet.filter((d) => d.available && !allocations.some((a) => a.droneIds.includes(d.id)));
  const reserve = new Set(unallocated.slice(0, opts.dispatchReserve).map((d) => d.id));
  for (let guard = 0; guard < fleet.length; guard++) {
    const used = new Set(allocations.flatMap((a) => a.droneIds));
    const spare = fleet.filter((d) => d.available && !used.has(d.id) && !reserve.has(d.id));
    const i = schedules.findIndex((s, k) => s.gaps.length > 0 && allocations[k]!.slots > 0);
    if (i < 0 || spare.length === 0) break;
    const loop = loops.get(site.rings[i]!.id)!.path;
    const nearest = spare
      .map((d) => ({ d, t: transitS(docksXy.get(d.id)!, loop, d.cruiseSpeedMps, opts) }))
      .sort((a, b) => a.t - b.t)[0]!;
    allocations[i]!.droneIds.push(nearest.d.id);
    schedules[i] = schedule(i);
  }

  const rings: RingPlan[] = site.rings.map((ring, i) => {
    const loop = loops.get(ring.id)!;
    const alloc = allocations[i]!;
    const sched = schedules[i]!;
    for (const g of sched.gaps) {
      warnings.push(`${ring.id} ring slot ${g.slot}: uncovered for ${Math.round((g.toMs - g.fromMs) / 1000)} s from +${Math.round((g.fromMs - input.nowMs) / 1000)} s`);
    }
    return {
      ringId: ring.id,
      name: ring.name,
      altitudeRelM: (ring.altitudeBandM.minRelM + ring.altitudeBandM.maxRelM) / 2,
      loop: loop.path.map((p) => ({ ...frame.toPoint(p), ...(p.checkpointId ? { checkpointId: p.checkpointId } : {}) })),
      loopLengthM: loop.lengthM,
      speedMps: alloc.speedMps,
      lapS: lapS.get(ring.id)!,
      meanSpeedMps: meanSpeed(ring.id),
      slots: alloc.slots,
      drones: alloc.droneIds,
      revisitIntervalS: alloc.slots > 0 ? lapS.get(ring.id)! / alloc.slots : Infinity,
      epochMs: sched.epochMs,
      checkpointsCovered: loop.covered,
      checkpointsMissed: loop.missed,
      sorties: sched.sorties,
      gaps: sched.gaps,
    };
  });

  const used = new Set(allocations.flatMap((a) => a.droneIds));
  return {
    createdAtMs: input.nowMs,
    rings,
    idleDrones: fleet.filter((d) => !used.has(d.id)).map((d) => d.id),
    warnings,
    geojson: planGeoJson(rings),
  };
}

function mergeFleet(base: FleetDrone[], given: FleetDrone[] | undefined): FleetDrone[] {
  if (!given) return base;
  const byId = new Map(given.map((d) => [d.id, d]));
  return base.map((d) => byId.get(d.id) ?? d);
}

/** Loops as LineStrings and checkpoint visits as Points, with the per-ring figures as properties. */
export function planGeoJson(rings: RingPlan[]): FeatureCollection {
  const features: Feature[] = [];
  for (const r of rings) {
    const coords = r.loop.map((p) => [p.lonDeg, p.latDeg]);
    if (coords.length > 0) coords.push(coords[0]!);
    features.push({
      type: 'Feature',
      geometry: { type: 'LineString', coordinates: coords },
      properties: {
        kind: 'patrol-loop',
        ringId: r.ringId,
        name: r.name,
        altitudeRelM: r.altitudeRelM,
        loopLengthM: Math.round(r.loopLengthM),
        slots: r.slots,
        drones: r.drones,
        revisitIntervalS: Number.isFinite(r.revisitIntervalS) ? Math.round(r.revisitIntervalS) : null,
        checkpointsCovered: r.checkpointsCovered,
      },
    });
    for (const p of r.loop) {
      if (!p.checkpointId) continue;
      features.push({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [p.lonDeg, p.latDeg] },
        properties: { kind: 'checkpoint-visit', ringId: r.ringId, checkpointId: p.checkpointId },
      });
    }
  }
  return { type: 'FeatureCollection', features };
}
