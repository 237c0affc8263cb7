/**
 * The site fence as PX4 reads it (issue 17, field finding 1): PX4 SITL rejected the demo
 * patrol ("Geofence violation for waypoint 38") because its Geofence::_updateFence reads
 * every polygon vertex after a circle as a polygon of its own; the demo's hospital circle
 * came before the heronry polygon. The simulator's PX4 fence reader (which reproduces
 * that) must see the zones the site draws, at every point of the site, and the demo
 * patrol's mission must pass PX4's feasibility check.
 */
import { describe, expect, it } from 'vitest';
import { common } from 'node-mavlink';
import { loadSite } from '../../site/load.ts';
import { LocalFrame } from '../../control/geo/local-frame.ts';
import { siteFence } from '../../control/planning/site-fence.ts';
import { DEFAULT_PLAN_OPTIONS } from '../../control/planning/types.ts';
import { encodeFenceSteps } from '../../control/vehicle/mission-encoder.ts';
import type { PlanItem } from '../../control/vehicle/plan-item.ts';
import { Fence } from '../../simulators/drone/model/fence.ts';
import { checkMissionAgainstFence } from '../../simulators/drone/model/mission-feasibility.ts';
import type { StoredItem } from '../../simulators/drone/model/mission-store.ts';

const demo = loadSite('sites/demo.yaml');
const frame = new LocalFrame({ latDeg: 30.27, lonDeg: 120.065 });
const stored = (items: PlanItem[], missionType: number): StoredItem[] =>
  items.map((i, seq) => ({ ...i, seq, current: 0, autocontinue: i.autocontinue ? 1 : 0, missionType }));

describe('the site fence read as PX4 reads it', () => {
  const fence = { items: encodeFenceSteps(siteFence(demo, frame, DEFAULT_PLAN_OPTIONS.nfzMarginM).steps) };
  const home = demo.drones[0]!.dock;
  const px4 = new Fence();
  px4.load(stored(fence.items, 1), 'px4', home);
  const drawn = new Fence();
  drawn.load(stored(fence.items, 1), 'ardupilot');

  it('puts every polygon before the first circle', () => {
    const firstCircle = fence.items.findIndex((i) => i.command === common.MavCmd.NAV_FENCE_CIRCLE_EXCLUSION);
    const lastVertex = fence.items.findLastIndex((i) => i.command === common.MavCmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION || i.command === common.MavCmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION);
    expect(firstCircle).toBeGreaterThan(lastVertex);
  });

  it('gives the same zones as drawn at every point of a 50 m grid over the site', () => {
    const differ: string[] = [];
    for (let yM = -4000; yM <= 4000; yM += 50) {
      for (let xM = -4000; xM <= 4000; xM += 50) {
        const p = frame.toPoint({ xM, yM });
        if (px4.breach(p) !== drawn.breach(p)) differ.push(`${xM},${yM}: px4 ${px4.breach(p)} / drawn ${drawn.breach(p)}`);
      }
    }
    expect(differ.slice(0, 5)).toEqual([]);
  });

  it("passes PX4's feasibility check for a mission over every ring's loop", () => {
    for (const ring of demo.rings) {
      const loop = ring.shape.type === 'circle' ? Array.from({ length: 36 }, (_, k) => {
        const c = frame.toXy(ring.shape.type === 'circle' ? ring.shape.center : home);
        const r = (ring.shape as { radiusM: number }).radiusM;
        return frame.toPoint({ xM: c.xM + r * Math.cos((k * Math.PI) / 18), yM: c.yM + r * Math.sin((k * Math.PI) / 18) });
      }) : ring.shape.points;
      const items = loop.map((p, seq) => ({ seq, command: common.MavCmd.NAV_WAYPOINT, frame: 6, current: 0, autocontinue: 1, param1: 0, param2: 0, param3: 0, param4: 0, x: Math.round(p.latDeg * 1e7), y: Math.round(p.lonDeg * 1e7), z: 40, missionType: 0 }));
      // A ring's edge may cross a no-fly zone (the planner detours round it); the rest must pass.
      const clear = items.filter((i) => !drawn.breach({ latDeg: i.x / 1e7, lonDeg: i.y / 1e7 }));
      expect(checkMissionAgainstFence(clear, px4)).toEqual({ valid: true });
    }
  });
});
