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
  // One pass per slot that keeps the first nearest drone: what a stable sort by flight
  // time would put first, without sorting the pool (hundreds of drones) for every slot.
  const firstWave: { slot: number; e: PoolEntry; transitS: number }[] = [];
  const launched = new Set<PoolEntry>();
  for (let slot = 0; slot < slots; slot++) {
    const start = walker.at((slot * L) / slots);
    let best: { e: PoolEntry; s: number } | undefined;
    for (const e of pool) {
      if (launched.has(e)) continue;
      const s = flightS(e.d, start);
      if (onStationS(e.d, s, worstHomeS(e.d), e.batteryPct) > 0 && (!best || s < best.s)) best = { e, s };
    }
    if (!best) break;
    launched.add(best.e);
    firstWave.push({ slot, e: best.e, transitS: best.s });
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
    // Of the drones that can do useful time on the loop: the one free soonest among those
    // that can launch in time, else the one that would be least late; the first in pool
    // order on a tie (a stable sort's pick, found in one pass).
    let onTime: { e: PoolEntry; launchAtMs: number } | undefined;
    let late: { e: PoolEntry; launchAtMs: number } | undefined;
    for (const e of pool) {
      const outS = flightS(e.d, meetAt);
      if (!(onStationS(e.d, outS, worstHomeS(e.d), 100) > 0)) continue;
      const launchAtMs = h.atMs - outS * 1000;
      if (e.availableAtMs <= launchAtMs && (!onTime || e.availableAtMs < onTime.e.availableAtMs)) onTime = { e, launchAtMs };
      if (!late || e.availableAtMs - launchAtMs < late.e.availableAtMs - late.launchAtMs) late = { e, launchAtMs };
    }
    if (onTime) {
      handovers.push({ slot: h.slot, atMs: fly(h.slot, onTime.e, onTime.launchAtMs, h.atMs, true) });
      continue;
    }
    // Nobody can be there in time: the slot is uncovered until the soonest relief arrives.
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
