/**
 * A ring patrol as ringwatch plans it, flown by the simulated ArduCopter: lap time and
 * battery against what ArduCopter SITL 4.7-dev did on the same kind of loop (issue 11).
 */
import { describe, expect, it } from 'vitest';
import { common } from 'node-mavlink';
import { missionCount, missionItem, offsetDeg, simModel } from '../helpers/sim-drone.ts';

const C = common.MavCmd;
const F = common.MavFrame;
const GUIDED = 4;
const LAP_M = 3_590;

/**
 * The demo containment ring's loop: the ring pulled in to a 72-gon of radius 550 m
 * (shapeToXy's 72 steps), with two out-and-back spurs of 30 m to checkpoints, as
 * ring-loop.ts inserts them: 78 vertices, ~3,590 m a lap.
 */
function ringLoop(center: { latDeg: number; lonDeg: number }): { latDeg: number; lonDeg: number }[] {
  const pts: { latDeg: number; lonDeg: number }[] = [];
  const at = (r: number, a: number) => offsetDeg(center, r * Math.cos(a), r * Math.sin(a));
  const step = (2 * Math.PI) / 72;
  const chordR = 550 * Math.cos(step / 2);
  for (let i = 0; i < 72; i++) {
    pts.push(at(550, i * step));
    // a spur: the checkpoint's foot on the chord, the checkpoint, the foot again
    if (i === 10 || i === 46) pts.push(at(chordR, (i + 0.5) * step), at(chordR - 30, (i + 0.5) * step), at(chordR, (i + 0.5) * step));
  }
  return pts;
}

/** Take-off to 42.5 m, DO_CHANGE_SPEED 12 m/s, the loop, DO_JUMP back to its start forever. */
function patrol(opts: Parameters<typeof simModel>[0] = {}) {
  const m = simModel({ prearmDelayS: 0, gpsNoiseM: 0, autoDisarmS: 0, ...opts });
  const loop = ringLoop(offsetDeg(m.drone.dock, -560, 0));
  const items = [missionItem(0, C.NAV_WAYPOINT, { ...m.drone.dock, frame: F.GLOBAL_INT }), missionItem(1, C.NAV_TAKEOFF, { alt: 42.5 })];
  items.push(missionItem(2, C.DO_CHANGE_SPEED, { params: [1, 12, -1, 0], frame: F.MISSION }));
  const first = items.length;
  for (const p of loop) items.push(missionItem(items.length, C.NAV_WAYPOINT, { ...p, alt: 42.5 }));
  items.push(missionItem(items.length, C.DO_JUMP, { params: [first, -1, 0, 0], frame: F.MISSION }));
  // the mission protocol itself: MISSION_COUNT, then each item as it is requested
  const count = missionCount(m.v.systemId, items.length);
  m.send(count);
  for (const it of items) m.send(it);
  const ack = m.of(common.MissionAck).at(-1)!.data;
  expect(ack.type).toBe(common.MavMissionResult.ACCEPTED);
  m.cmd(C.DO_SET_MODE, [1, GUIDED]);
  m.cmd(C.COMPONENT_ARM_DISARM, [1]);
  m.cmd(C.MISSION_START, [0, 0]);
  return { m, first, vertices: loop.length };
}

describe('sim drone on a 78-vertex ring loop (ArduCopter SITL calibration)', () => {
  it('flies a loop planned at 12 m/s at SITL\'s 7.2–7.4 m/s (within 15 %), not at the planned speed', () => {
    // SITL (issue 11, item 11): planned 12 m/s and 298 s a lap; flew 7.2–7.4 m/s, ~490 s.
    // WPNAV_ACCEL 2.5 m/s² and the corners of ~50 m legs keep it well under 12 m/s.
    const { m, first, vertices } = patrol({ batteryEnduranceS: 'site' });
    expect(vertices).toBe(78);
    let lapStartMs: number | undefined;
    let lapMs: number | undefined;
    let lastSeq = 0;
    let maxSpeed = 0;
    m.run(1_300, (s, t) => {
      if (lapStartMs !== undefined && lapMs === undefined) maxSpeed = Math.max(maxSpeed, s.groundSpeedMps);
      if (s.missionSeq === first && lastSeq !== first) {
        if (lapStartMs === undefined && lastSeq > first) lapStartMs = t; // first wrap: start timing
        else if (lapStartMs !== undefined && lapMs === undefined) lapMs = t - lapStartMs;
      }
      lastSeq = s.missionSeq;
    });
    expect(lapMs).toBeDefined();
    if (process.env.SIM_FIGURES) console.log(`lap ${(lapMs! / 1000).toFixed(1)} s, ${(LAP_M / (lapMs! / 1000)).toFixed(2)} m/s`);
    const avgMps = LAP_M / (lapMs! / 1000);
    expect(avgMps).toBeGreaterThan(7.3 * 0.85);
    expect(avgMps).toBeLessThan(7.3 * 1.15);
    expect(maxSpeed).toBeLessThanOrEqual(12 + 1e-6); // DO_CHANGE_SPEED 12 is the cap it never holds for long
  });

  it("drains SITL's default battery from 100 % to ~18 % in 6.5 min of that patrol", () => {
    // SITL: 100 % → 18 % in ~6.5 min of flight, while the site assumed 1,800 s of endurance.
    const { m } = patrol({ lowBatteryPct: 0, criticalBatteryPct: 0 });
    m.run(6.5 * 60);
    const pct = m.v.state().batteryPct;
    if (process.env.SIM_FIGURES) console.log(`battery after 6.5 min: ${pct.toFixed(1)} %`);
    expect(pct).toBeGreaterThan(18 - 5);
    expect(pct).toBeLessThan(18 + 5);
  });
});
