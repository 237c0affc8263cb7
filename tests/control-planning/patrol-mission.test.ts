import { describe, expect, it } from 'vitest';
import { common } from 'node-mavlink';
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
    expect(m.items[0]!.command).toBe(common.MavCmd.NAV_TAKEOFF);
    expect(m.items[0]!.z).toBe(ring.altitudeRelM);
    expect(m.items.at(-1)!.command).toBe(common.MavCmd.NAV_RETURN_TO_LAUNCH);
    const wps = m.items.filter((i) => i.command === common.MavCmd.NAV_WAYPOINT);
    for (const w of wps) expect(w.z).toBe(ring.altitudeRelM);
    const loopItems = m.items.slice(m.loopStartIndex, m.loopStartIndex + ring.loop.length);
    expect(loopItems).toHaveLength(ring.loop.length);
    // Every loop vertex is flown, starting after the join point and wrapping round.
    const key = (x: number, y: number) => `${x},${y}`;
    expect(new Set(loopItems.map((i) => key(i.x, i.y)))).toEqual(new Set(ring.loop.map((p) => key(Math.round(p.latDeg * 1e7), Math.round(p.lonDeg * 1e7)))));
    const onStationS = (sortie.offStationAtMs - sortie.onStationAtMs) / 1000;
    // Laps at the speed the loop is really flown (corners slow it), not the commanded one.
    expect(m.laps).toBe(Math.floor((onStationS * ring.meanSpeedMps) / ring.loopLengthM));
    const jump = m.items.find((i) => i.command === common.MavCmd.DO_JUMP)!;
    expect(jump.param1).toBe(m.loopStartIndex + 1); // ArduPilot: home is wire item 0
    expect(jump.param2).toBe(m.laps - 1);
    // After the whole laps, part of one more lap: no further than the on-station time allows.
    const afterJump = m.items.slice(m.items.indexOf(jump) + 1, -1);
    expect(afterJump.length).toBeGreaterThan(0);
    expect(afterJump.length).toBeLessThanOrEqual(ring.loop.length + 1);
    const speed = m.items.find((i) => i.command === common.MavCmd.DO_CHANGE_SPEED)!;
    expect(speed.param2).toBe(ring.speedMps);
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
