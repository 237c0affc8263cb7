/**
 * The planner's steps as each autopilot must receive them (issue 13, item 6): one encoder,
 * control/vehicle/mission-encoder.ts, fills MAV_CMD parameters, frames and wire sequence
 * numbers. Checked against the items the planner sent before it spoke in steps, and
 * against the simulator's models of ArduCopter's and PX4's item checks, read-back and
 * fence reading.
 */
import { describe, expect, it } from 'vitest';
import { common } from 'node-mavlink';
import { loadSite } from '../../site/load.ts';
import { LocalFrame } from '../../control/geo/local-frame.ts';
import { planPatrol } from '../../control/planning/plan.ts';
import { patrolMission } from '../../control/planning/patrol-mission.ts';
import { siteFence } from '../../control/planning/site-fence.ts';
import { DEFAULT_PLAN_OPTIONS } from '../../control/planning/types.ts';
import { noFlyPolygons } from '../../control/planning/zones.ts';
import { encodeFenceSteps, encodeMissionSteps, missionSeqOffset, missionStepIndexOfSeq } from '../../control/vehicle/mission-encoder.ts';
import type { FenceStep, MissionStep } from '../../control/vehicle/mission-steps.ts';
import { firstMismatch } from '../../control/vehicle/plan-compare.ts';
import type { PlanItem } from '../../control/vehicle/plan-item.ts';
import { Fence } from '../../simulators/drone/model/fence.ts';
import { checkMissionAgainstFence } from '../../simulators/drone/model/mission-feasibility.ts';
import { checkFenceList, checkItem, type StoredItem } from '../../simulators/drone/model/mission-store.ts';
import { ardupilot } from '../../simulators/drone/model/personality/ardupilot.ts';
import { px4 } from '../../simulators/drone/model/personality/px4.ts';

const C = common.MavCmd;
const F = common.MavFrame;
const site = loadSite('sites/demo.yaml');
const frame = new LocalFrame({ latDeg: 30.27, lonDeg: 120.065 });
const e7 = (d: number) => Math.round(d * 1e7);

/** As the vehicle stores a list: ArduPilot's home is item 0 of a mission. */
const stored = (items: PlanItem[], missionType: number, firstSeq = 0): StoredItem[] =>
  items.map((i, k) => ({ ...i, seq: k + firstSeq, current: 0, autocontinue: i.autocontinue ? 1 : 0, missionType }));

const dock = { latDeg: 30.2712345, lonDeg: 120.0654321 };
const every: MissionStep[] = [
  { kind: 'takeoff', altRelM: 40, at: dock },
  { kind: 'speed', speedMps: 12 },
  { kind: 'waypoint', latDeg: 30.272, lonDeg: 120.066, altRelM: 40 },
  { kind: 'waypoint', latDeg: 30.273, lonDeg: 120.067, altRelM: 45, acceptRadiusM: 3, holdS: 2 },
  { kind: 'loop', toStepIndex: 2, repeat: 4 },
  { kind: 'loiter', latDeg: 30.274, lonDeg: 120.068, altRelM: 40, timeS: 29.6 },
  { kind: 'return' },
];

describe('mission steps to items', () => {
  it('fills commands, parameters and frames as the planner did before it spoke in steps', () => {
    const nav = (command: number, p: [number, number, number, number], lat: number, lon: number, z: number): PlanItem => ({
      command, frame: F.GLOBAL_RELATIVE_ALT_INT, param1: p[0], param2: p[1], param3: p[2], param4: p[3], x: e7(lat), y: e7(lon), z, autocontinue: true,
    });
    const doItem = (command: number, p: [number, number, number, number]): PlanItem => ({
      command, frame: F.MISSION, param1: p[0], param2: p[1], param3: p[2], param4: p[3], x: 0, y: 0, z: 0, autocontinue: true,
    });
    const expected = (jumpTo: number): PlanItem[] => [
      nav(C.NAV_TAKEOFF, [0, 0, 0, 0], dock.latDeg, dock.lonDeg, 40),
      doItem(C.DO_CHANGE_SPEED, [1, 12, -1, 0]),
      nav(C.NAV_WAYPOINT, [0, 0, 0, 0], 30.272, 120.066, 40),
      nav(C.NAV_WAYPOINT, [2, 3, 0, 0], 30.273, 120.067, 45),
      doItem(C.DO_JUMP, [jumpTo, 4, 0, 0]),
      nav(C.NAV_LOITER_TIME, [30, 0, 0, 0], 30.274, 120.068, 40),
      doItem(C.NAV_RETURN_TO_LAUNCH, [0, 0, 0, 0]),
    ];
    // DO_JUMP names a wire sequence: ArduPilot's home is item 0, PX4 has none.
    expect(encodeMissionSteps('ardupilot', every)).toEqual(expected(3));
    expect(encodeMissionSteps('px4', every)).toEqual(expected(2));
  });

  it("passes each autopilot's item checks and reads back the same by meaning", () => {
    const ap = encodeMissionSteps('ardupilot', every);
    // ArduPilot: item 0 is home, the steps follow.
    for (const it of stored(ap, 0, 1)) expect(checkItem(it), `ArduPilot item ${it.seq}`).toBeUndefined();
    const apBack = stored(ap, 0, 1).map((it) => ardupilot.downloadItem(it)) as unknown as PlanItem[];
    expect(firstMismatch(ap, apBack.map((b) => ({ ...b, autocontinue: true })))).toBeUndefined();
    const p = encodeMissionSteps('px4', every);
    for (const it of stored(p, 0)) expect(px4.checkMissionItem(it), `PX4 item ${it.seq}`).toBeUndefined();
  });

  it('maps a wire sequence back to its step for each autopilot', () => {
    expect(missionSeqOffset('ardupilot')).toBe(1);
    expect(missionSeqOffset('px4')).toBe(0);
    expect(missionStepIndexOfSeq('ardupilot', 0, 7)).toBeUndefined(); // home
    expect(missionStepIndexOfSeq('ardupilot', 1, 7)).toBe(0);
    expect(missionStepIndexOfSeq('ardupilot', 7, 7)).toBe(6);
    expect(missionStepIndexOfSeq('ardupilot', 8, 7)).toBeUndefined();
    expect(missionStepIndexOfSeq('px4', 0, 7)).toBe(0);
    expect(missionStepIndexOfSeq('px4', 7, 7)).toBeUndefined();
  });

  it.each<[string, MissionStep[], RegExp]>([
    ['a loop forward', [{ kind: 'return' }, { kind: 'loop', toStepIndex: 1, repeat: 1 }], /mission step 1: loop target 1 must be an earlier step \(0\.\.0\)/],
    ['a fractional repeat', [{ kind: 'return' }, { kind: 'loop', toStepIndex: 0, repeat: 1.5 }], /mission step 1: loop repeat must be a whole number/],
    ['a NaN altitude', [{ kind: 'waypoint', latDeg: 30, lonDeg: 120, altRelM: Number.NaN }], /mission step 0: altRelM must be a finite number/],
    ['swapped coordinates', [{ kind: 'waypoint', latDeg: 120, lonDeg: 30, altRelM: 40 }], /mission step 0: point \(120, 30\) is not a latitude\/longitude/],
    ['a zero speed', [{ kind: 'speed', speedMps: 0 }], /mission step 0: speedMps must be above 0/],
  ])('refuses %s, naming the step and field', (_what, steps, message) => {
    expect(() => encodeMissionSteps('ardupilot', steps)).toThrow(message);
  });
});

describe('the demo patrol, encoded', () => {
  const plan = planPatrol({ site, nowMs: 0 });
  const ring = plan.rings[0]!;
  const sortie = ring.sorties[1]!;
  const drone = site.drones.find((d) => d.id === sortie.droneId)!;
  const m = patrolMission(ring, sortie, drone.dock, noFlyPolygons(site.noFlyZones, frame, DEFAULT_PLAN_OPTIONS.nfzMarginM), frame);
  const fence = encodeFenceSteps(siteFence(site, frame, DEFAULT_PLAN_OPTIONS.nfzMarginM).steps);

  it('jumps back to the first loop waypoint on either autopilot', () => {
    expect(m.laps).toBeGreaterThan(1);
    for (const autopilot of ['ardupilot', 'px4'] as const) {
      const items = encodeMissionSteps(autopilot, m.steps);
      expect(items).toHaveLength(m.steps.length);
      const jump = items.find((i) => i.command === C.DO_JUMP)!;
      const target = items[missionStepIndexOfSeq(autopilot, jump.param1, items.length)!]!;
      expect(target).toBe(items[m.loopStartIndex]);
      expect(m.loopVertexOf[m.loopStartIndex]).toBeDefined();
    }
  });

  it("passes PX4's feasibility check against the site fence as PX4 reads it", () => {
    const px4Fence = new Fence();
    px4Fence.load(stored(fence, 1), 'px4', drone.dock);
    expect(checkMissionAgainstFence(stored(encodeMissionSteps('px4', m.steps), 0), px4Fence)).toEqual({ valid: true });
  });
});

describe('fence steps to items', () => {
  const square = (c: { latDeg: number; lonDeg: number }, d: number) => [
    { latDeg: c.latDeg - d, lonDeg: c.lonDeg - d }, { latDeg: c.latDeg - d, lonDeg: c.lonDeg + d },
    { latDeg: c.latDeg + d, lonDeg: c.lonDeg + d }, { latDeg: c.latDeg + d, lonDeg: c.lonDeg - d },
  ];
  const home = { latDeg: 30.27, lonDeg: 120.065 };

  it('puts every polygon before the first circle (PX4 reads later vertices as phantom polygons otherwise)', () => {
    const steps: FenceStep[] = [
      { kind: 'fence_inclusion', points: square(home, 0.02) },
      { kind: 'fence_exclusion_circle', center: { latDeg: 30.275, lonDeg: 120.07 }, radiusM: 100 },
      { kind: 'fence_exclusion', points: square({ latDeg: 30.262, lonDeg: 120.056 }, 0.002) },
      { kind: 'fence_inclusion_circle', center: home, radiusM: 3000 },
    ];
    const items = encodeFenceSteps(steps);
    expect(items.map((i) => i.command)).toEqual([
      ...Array(4).fill(C.NAV_FENCE_POLYGON_VERTEX_INCLUSION), ...Array(4).fill(C.NAV_FENCE_POLYGON_VERTEX_EXCLUSION),
      C.NAV_FENCE_CIRCLE_EXCLUSION, C.NAV_FENCE_CIRCLE_INCLUSION,
    ]);
    expect(items.slice(0, 8).every((i) => i.param1 === 4 && i.frame === F.GLOBAL && !i.autocontinue)).toBe(true);
    expect(items[8]).toMatchObject({ param1: 100, x: e7(30.275), y: e7(120.07) });
    expect(checkFenceList(stored(items, 1))).toBe(true);
    // PX4 and ArduPilot read the same zones at every point.
    const asPx4 = new Fence();
    asPx4.load(stored(items, 1), 'px4', home);
    const asAp = new Fence();
    asAp.load(stored(items, 1), 'ardupilot');
    const probes = [home, { latDeg: 30.275, lonDeg: 120.07 }, { latDeg: 30.262, lonDeg: 120.056 }, { latDeg: 30.2635, lonDeg: 120.0575 }, { latDeg: 30.3, lonDeg: 120.065 }];
    for (const p of probes) expect(asPx4.breach(p), `${p.latDeg},${p.lonDeg}`).toBe(asAp.breach(p));
    expect(asPx4.breach({ latDeg: 30.262, lonDeg: 120.056 })).toBe('Exclusion Polygon');
  });

  it('gives the demo site, whose hospital circle the site lists before the heronry polygon, the same zones on PX4 as drawn', () => {
    const steps = siteFence(site, frame, DEFAULT_PLAN_OPTIONS.nfzMarginM).steps;
    expect(steps.findIndex((s) => s.kind === 'fence_exclusion_circle')).toBeLessThan(steps.findIndex((s) => s.kind === 'fence_exclusion'));
    const items = encodeFenceSteps(steps);
    const asPx4 = new Fence();
    asPx4.load(stored(items, 1), 'px4', site.drones[0]!.dock);
    const asAp = new Fence();
    asAp.load(stored(items, 1), 'ardupilot');
    const differ: string[] = [];
    for (let yM = -4000; yM <= 4000; yM += 200) {
      for (let xM = -4000; xM <= 4000; xM += 200) {
        const p = frame.toPoint({ xM, yM });
        if (asPx4.breach(p) !== asAp.breach(p)) differ.push(`${xM},${yM}`);
      }
    }
    expect(differ).toEqual([]);
  });

  it.each<[string, FenceStep, RegExp]>([
    ['a two-vertex polygon', { kind: 'fence_exclusion', points: square(home, 0.01).slice(0, 2) }, /fence step 0: a polygon needs at least 3 vertices \(got 2\)/],
    ['a zero radius', { kind: 'fence_exclusion_circle', center: home, radiusM: 0 }, /fence step 0: radiusM must be above 0/],
    ['a vertex off the globe', { kind: 'fence_inclusion', points: [...square(home, 0.01), { latDeg: 91, lonDeg: 0 }] }, /fence step 0: points\[4\] \(91, 0\)/],
  ])('refuses %s, naming the step and field', (_what, step, message) => {
    expect(() => encodeFenceSteps([step])).toThrow(message);
  });
});
