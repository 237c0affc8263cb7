import { describe, expect, it } from 'vitest';
import { loadSite } from '../../site/load.ts';
import { planPatrol } from '../../control/planning/plan.ts';
import { patrolMission } from '../../control/planning/patrol-mission.ts';
import { LocalFrame } from '../../control/geo/local-frame.ts';
import { noFlyPolygons } from '../../control/planning/zones.ts';

const site = loadSite('sites/demo.yaml');
const frame = new LocalFrame({ latDeg: 30.27, lonDeg: 120.065 });
const plan = planPatrol({ site, nowMs: 0 });

describe('patrol mission for a sortie', () => {
  it('takes off, flies the loop from its join point for the laps its battery allows, then comes home', () => {
    const ring = plan.rings[0]!;
    const sortie = ring.sorties[1]!;
    const dock = site.drones.find((d) => d.id === sortie.droneId)!.dock;
    const m = patrolMission(ring, sortie, dock, noFlyPolygons(site.noFlyZones, frame, 50), frame);
    expect(m.steps[0]).toEqual({ kind: 'takeoff', altRelM: ring.altitudeRelM, at: { latDeg: dock.latDeg, lonDeg: dock.lonDeg } });
    expect(m.steps.at(-1)).toEqual({ kind: 'return' });
    const wps = m.steps.filter((s) => s.kind === 'waypoint');
    for (const w of wps) expect(w.altRelM).toBe(ring.altitudeRelM);
    const loopSteps = m.steps.slice(m.loopStartIndex, m.loopStartIndex + ring.loop.length);
    expect(loopSteps).toHaveLength(ring.loop.length);
    // Every loop vertex is flown, starting after the join point and wrapping round.
    const key = (p: { latDeg: number; lonDeg: number }) => `${p.latDeg},${p.lonDeg}`;
    expect(new Set(loopSteps.map((s) => (s.kind === 'waypoint' ? key(s) : s.kind)))).toEqual(new Set(ring.loop.map(key)));
    // Reaching a loop step is a pass over the ring vertex loopVertexOf names.
    loopSteps.forEach((s, k) => expect(s.kind === 'waypoint' ? key(s) : s.kind).toBe(key(ring.loop[m.loopVertexOf[m.loopStartIndex + k]!]!)));
    const onStationS = (sortie.offStationAtMs - sortie.onStationAtMs) / 1000;
    // Laps at the speed the loop is really flown (corners slow it), not the commanded one.
    expect(m.laps).toBe(Math.floor((onStationS * ring.meanSpeedMps) / ring.loopLengthM));
    expect(m.laps).toBeGreaterThan(1);
    // The loop goes back to the first loop waypoint, by step index: no wire sequence here.
    const jumpAt = m.steps.findIndex((s) => s.kind === 'loop');
    expect(m.steps[jumpAt]).toEqual({ kind: 'loop', toStepIndex: m.loopStartIndex, repeat: m.laps - 1 });
    expect(jumpAt).toBe(m.loopStartIndex + ring.loop.length);
    // After the whole laps, part of one more lap: no further than the on-station time allows.
    const afterJump = m.steps.slice(jumpAt + 1, -1);
    expect(afterJump.length).toBeGreaterThan(0);
    expect(afterJump.length).toBeLessThanOrEqual(ring.loop.length + 1);
    expect(afterJump.every((s) => s.kind === 'waypoint')).toBe(true);
    expect(m.steps.find((s) => s.kind === 'speed')).toEqual({ kind: 'speed', speedMps: ring.speedMps });
    expect(m.loopVertexOf).toHaveLength(m.steps.length);
  });

  it('routes the transit around a no-fly zone between dock and loop', () => {
    const ring = plan.rings[0]!;
    const sortie = ring.sorties[0]!;
    const dock = site.drones.find((d) => d.id === sortie.droneId)!.dock;
    const first = ring.loop[0]!;
    const mid = { latDeg: (dock.latDeg + first.latDeg) / 2, lonDeg: (dock.lonDeg + first.lonDeg) / 2 };
    const zones = noFlyPolygons([{ id: 'nfz-x', name: 'x', shape: { type: 'circle', center: mid, radiusM: 60 } }], frame, 20);
    const direct = patrolMission(ring, sortie, dock, [], frame);
    const around = patrolMission(ring, sortie, dock, zones, frame);
    expect(around.loopStartIndex).toBeGreaterThan(direct.loopStartIndex);
  });
});
