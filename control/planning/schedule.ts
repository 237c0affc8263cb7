import type { RingId } from '../../site/schema.ts';
import { distXy, type Xy } from '../geo/local-frame.ts';
import { LoopWalker } from '../geo/polyline.ts';
import { onStationS } from './allocate.ts';
import type { CoverageGap, FleetDrone, PlanOptions, Sortie } from './types.ts';

export interface ScheduleInput {
  ringId: RingId;
  loop: Xy[];
  loopLengthM: number;
  slots: number;
  speedMps: number;
  drones: FleetDrone[];
  docksXy: Map<string, Xy>;
  nowMs: number;
  opts: PlanOptions;
}

interface PoolEntry {
  d: FleetDrone;
  availableAtMs: number;
  batteryPct: number;
}

/**
 * Sorties for one ring over the horizon. Slot i's station is a point moving round the
 * loop at cruise speed, i/slots of a lap ahead of slot 0, so the drones stay evenly
 * spaced and any point is passed every lap/slots seconds. A relief is launched early
 * enough to reach the slot's station exactly when the drone it relieves must turn home
 * with its reserve; the relieved drone lands, swaps its battery and rejoins the pool.
 */
export function scheduleRing(input: ScheduleInput): { sorties: Sortie[]; gaps: CoverageGap[]; epochMs: number } {
  const { loop, loopLengthM: L, slots, speedMps: v, opts } = input;
  const sorties: Sortie[] = [];
  const gaps: CoverageGap[] = [];
  if (slots === 0) return { sorties, gaps, epochMs: input.nowMs };

  const dock = (d: FleetDrone) => input.docksXy.get(d.id)!;
  const flightS = (d: FleetDrone, to: Xy) => opts.takeoffS + distXy(dock(d), to) / d.cruiseSpeedMps;
  // Used only to screen candidates: can this drone do any useful time on the loop at all?
  const worstHome = new Map<string, number>();
  const worstHomeS = (d: FleetDrone) => {
    let s = worstHome.get(d.id);
    if (s === undefined) {
      let far = 0;
      for (const p of loop) far = Math.max(far, distXy(dock(d), p));
      s = far / d.cruiseSpeedMps + opts.landingS;
      worstHome.set(d.id, s);
    }
    return s;
  };
  const walker = new LoopWalker(loop);
  const station = (slot: number, atMs: number, epochMs: number) => walker.at((slot * L) / slots + (v * (atMs - epochMs)) / 1000);
  const arcAt = (slot: number, atMs: number, epochMs: number) =>
    ((((slot * L) / slots + (v * (atMs - epochMs)) / 1000) % L) + L) % L;

  const pool: PoolEntry[] = input.drones.map((d) => ({ d, availableAtMs: input.nowMs, batteryPct: d.batteryPct }));

  // First wave: match each slot's starting point with the nearest free drone.
  const firstWave: { slot: number; e: PoolEntry; transitS: number }[] = [];
  for (let slot = 0; slot < slots; slot++) {
    const start = walker.at((slot * L) / slots);
    const free = pool.filter((e) => !firstWave.some((w) => w.e === e) && onStationS(e.d, flightS(e.d, start), worstHomeS(e.d), e.batteryPct) > 0);
    const best = free.sort((a, b) => flightS(a.d, start) - flightS(b.d, start))[0];
    if (!best) break;
    firstWave.push({ slot, e: best, transitS: flightS(best.d, start) });
  }
  const epochMs = input.nowMs + Math.max(0, ...firstWave.map((w) => w.transitS)) * 1000;

  const fly = (slot: number, e: PoolEntry, launchAtMs: number, onStationAtMs: number, relief: boolean): number => {
    const outS = (onStationAtMs - launchAtMs) / 1000;
    // Stations move deterministically, so the point where the drone turns home is known:
    // settle on-station time and the flight home from that point together.
    let backS = worstHomeS(e.d);
    let offStationAtMs = onStationAtMs;
    for (let i = 0; i < 4; i++) {
      offStationAtMs = onStationAtMs + Math.max(0, onStationS(e.d, outS, backS, e.batteryPct)) * 1000;
      backS = distXy(station(slot, offStationAtMs, epochMs), dock(e.d)) / e.d.cruiseSpeedMps + opts.landingS;
    }
    // Never trust the last iterate blindly: the reserve must hold for the real way home.
    while (offStationAtMs > onStationAtMs && onStationS(e.d, outS, backS, e.batteryPct) * 1000 < offStationAtMs - onStationAtMs - 1) {
      offStationAtMs -= 10_000;
      backS = distXy(station(slot, offStationAtMs, epochMs), dock(e.d)) / e.d.cruiseSpeedMps + opts.landingS;
    }
    const landAtMs = offStationAtMs + backS * 1000;
    sorties.push({
      droneId: e.d.id,
      ringId: input.ringId,
      slot,
      launchAtMs,
      onStationAtMs,
      offStationAtMs,
      landAtMs,
      joinAtM: arcAt(slot, onStationAtMs, epochMs),
      relief,
    });
    e.availableAtMs = landAtMs + opts.turnaroundS * 1000;
    e.batteryPct = 100;
    return offStationAtMs;
  };

  const horizonEndMs = input.nowMs + opts.horizonS * 1000;
  const handovers: { slot: number; atMs: number }[] = [];
  for (const w of firstWave) {
    handovers.push({ slot: w.slot, atMs: fly(w.slot, w.e, epochMs - w.transitS * 1000, epochMs, false) });
  }
  for (let slot = firstWave.length; slot < slots; slot++) gaps.push({ slot, fromMs: epochMs, toMs: horizonEndMs });

  // Reliefs in time order, so the pool's availability is always current.
  for (let guard = 0; guard < 10_000 && handovers.length > 0; guard++) {
    handovers.sort((a, b) => a.atMs - b.atMs);
    const h = handovers.shift()!;
    if (h.atMs >= horizonEndMs) continue;
    const meetAt = station(h.slot, h.atMs, epochMs);
    const candidates = pool
      .map((e) => ({ e, outS: flightS(e.d, meetAt) }))
      .filter(({ e, outS }) => onStationS(e.d, outS, worstHomeS(e.d), 100) > 0)
      .map(({ e, outS }) => ({ e, launchAtMs: h.atMs - outS * 1000 }));
    const onTime = candidates.filter((c) => c.e.availableAtMs <= c.launchAtMs).sort((a, b) => a.e.availableAtMs - b.e.availableAtMs)[0];
    if (onTime) {
      handovers.push({ slot: h.slot, atMs: fly(h.slot, onTime.e, onTime.launchAtMs, h.atMs, true) });
      continue;
    }
    // Nobody can be there in time: the slot is uncovered until the soonest relief arrives.
    const late = candidates.sort((a, b) => a.e.availableAtMs - a.launchAtMs - (b.e.availableAtMs - b.launchAtMs))[0];
    if (!late) {
      gaps.push({ slot: h.slot, fromMs: h.atMs, toMs: horizonEndMs });
      continue;
    }
    const delayMs = late.e.availableAtMs - late.launchAtMs;
    const arriveMs = h.atMs + delayMs;
    gaps.push({ slot: h.slot, fromMs: h.atMs, toMs: arriveMs });
    handovers.push({ slot: h.slot, atMs: fly(h.slot, late.e, late.e.availableAtMs, arriveMs, true) });
  }
  return { sorties, gaps, epochMs };
}
