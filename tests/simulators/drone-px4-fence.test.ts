/**
 * PX4's mission feasibility check against its geofence (issue 17, field finding 1), as the
 * simulator reproduces it: PX4 SITL rejected ringwatch's patrol ("Geofence violation for
 * waypoint 38") because Geofence::_updateFence reads polygon vertices after a circle as
 * polygons of their own, and then DENIED MISSION_START ("Mission start denied! No valid
 * mission"). Raw MAVLink to the pure model.
 */
import { describe, expect, it } from 'vitest';
import { common, minimal } from 'node-mavlink';
import { missionCount, missionItem, offsetDeg, simModel } from '../helpers/sim-drone.ts';

const C = common.MavCmd;
const F = common.MavFrame;
const R = common.MavResult;
const MR = common.MavMissionResult;
const FENCE = 1;

function gcsHeartbeat(): minimal.Heartbeat {
  const hb = new minimal.Heartbeat();
  hb.type = minimal.MavType.GCS;
  hb.autopilot = minimal.MavAutopilot.INVALID;
  return hb;
}

function vehicle(autopilot: 'px4' | 'ardupilot') {
  const m = simModel({ autopilot, prearmDelayS: 0, gpsNoiseM: 0 });
  m.send(gcsHeartbeat());
  m.run(3); // texts flow (PX4), home set
  const upload = (type: number, items: common.MissionItemInt[]) => {
    const count = missionCount(m.v.systemId, items.length, type);
    const before = m.out.length;
    m.send(count);
    for (const it of items) {
      const asked = m.out.slice(before).some((o) => (o.data instanceof common.MissionRequestInt || o.data instanceof common.MissionRequest) && o.data.seq === it.seq);
      if (!asked) break;
      m.send(it);
    }
    m.run(0.5); // the navigator checks on its next cycle
    return m.of(common.MissionAck).at(-1)!.data;
  };
  const missionState = () => {
    m.cmd(C.REQUEST_MESSAGE, [common.MissionCurrent.MSG_ID]);
    return m.of(common.MissionCurrent).at(-1)!.data.missionState;
  };
  return { ...m, upload, missionState };
}

/**
 * Around a dock at (0, 0) m: an inclusion square, a circle, a square exclusion 600 m
 * north and 300 m east, and a second circle 600 m south. Read PX4's way, the polygon's
 * last three vertices and the second circle's centre make a sliver from north to south
 * through (0, 300 m), where the mission's waypoint is; read as drawn, it is clear.
 */
function fence(dock: { latDeg: number; lonDeg: number }, circlesLast: boolean): common.MissionItemInt[] {
  const at = (n: number, e: number) => offsetDeg(dock, n, e);
  const inclusion = [at(-1500, -1500), at(-1500, 1500), at(1500, 1500), at(1500, -1500)];
  const square = [at(550, 250), at(550, 350), at(650, 350), at(650, 250)];
  const vertices = (pts: { latDeg: number; lonDeg: number }[], cmd: number) => pts.map((p) => ({ cmd, p, param1: pts.length }));
  const circleA = { cmd: C.NAV_FENCE_CIRCLE_EXCLUSION, p: at(-300, -300), param1: 50 };
  const circleB = { cmd: C.NAV_FENCE_CIRCLE_EXCLUSION, p: at(-600, 300), param1: 50 };
  const polygons = [...vertices(inclusion, C.NAV_FENCE_POLYGON_VERTEX_INCLUSION), ...vertices(square, C.NAV_FENCE_POLYGON_VERTEX_EXCLUSION)];
  const order = circlesLast
    ? [...polygons, circleA, circleB]
    : [...vertices(inclusion, C.NAV_FENCE_POLYGON_VERTEX_INCLUSION), circleA, ...vertices(square, C.NAV_FENCE_POLYGON_VERTEX_EXCLUSION), circleB];
  return order.map((z, seq) => missionItem(seq, z.cmd, { ...z.p, params: [z.param1], frame: F.GLOBAL, missionType: FENCE }));
}

function mission(dock: { latDeg: number; lonDeg: number }, firstSeq: number): common.MissionItemInt[] {
  const wp = offsetDeg(dock, 0, 300);
  return [
    missionItem(firstSeq, C.NAV_TAKEOFF, { ...dock, alt: 30 }),
    missionItem(firstSeq + 1, C.NAV_WAYPOINT, { ...wp, alt: 30 }),
    missionItem(firstSeq + 2, C.NAV_RETURN_TO_LAUNCH, { frame: F.MISSION }),
  ];
}

describe('sim drone as PX4: the mission checked against the fence', () => {
  it('rejects a waypoint inside the zone PX4 reads from polygon vertices after a circle; MISSION_START is DENIED', () => {
    const m = vehicle('px4');
    expect(m.upload(FENCE, fence(m.drone.dock, false)).type).toBe(MR.ACCEPTED);
    const before = m.texts().length;
    expect(m.upload(0, mission(m.drone.dock, 0)).type).toBe(MR.ACCEPTED);
    // Uploaded and stored (the upload is accepted), but not a valid mission.
    expect(m.texts().slice(before).map((t) => t.data.text)).toContain('Geofence violation for waypoint 2\t');
    expect(m.texts().find((t) => t.data.text.startsWith('Geofence violation'))!.data.severity).toBe(common.MavSeverity.CRITICAL);
    expect(m.missionState()).toBe(common.MissionState.NO_MISSION);
    m.cmd(C.COMPONENT_ARM_DISARM, [1]);
    expect(m.acks(C.COMPONENT_ARM_DISARM).at(-1)!.data.result).toBe(R.ACCEPTED);
    m.cmd(C.MISSION_START, [0, 0]);
    expect(m.acks(C.MISSION_START).at(-1)!.data.result).toBe(R.DENIED);
    m.run(0.1);
    expect(m.texts().at(-1)!.data.text).toBe('Mission start denied! No valid mission\t');
    expect(m.v.state().mode).not.toBe('AUTO.MISSION');
  });

  it('accepts the same zones with every polygon before the circles, re-checking the stored mission when the fence changes', () => {
    const m = vehicle('px4');
    m.upload(FENCE, fence(m.drone.dock, false));
    m.upload(0, mission(m.drone.dock, 0));
    expect(m.missionState()).toBe(common.MissionState.NO_MISSION);
    const before = m.texts().length;
    expect(m.upload(FENCE, fence(m.drone.dock, true)).type).toBe(MR.ACCEPTED);
    expect(m.texts().slice(before).map((t) => t.data.text).filter((t) => t.startsWith('Geofence'))).toEqual([]);
    expect(m.missionState()).toBe(common.MissionState.NOT_STARTED);
    m.cmd(C.COMPONENT_ARM_DISARM, [1]);
    m.cmd(C.MISSION_START, [0, 0]);
    expect(m.acks(C.MISSION_START).at(-1)!.data.result).toBe(R.ACCEPTED);
    m.run(5);
    expect(m.v.state().mode).toBe('AUTO.MISSION');
    expect(m.v.state().altRelM).toBeGreaterThan(2);
  });

  it('rejects a waypoint inside a real exclusion whatever the order, and is invalid until home is known', () => {
    const m = vehicle('px4');
    m.upload(FENCE, fence(m.drone.dock, true));
    const inSquare = offsetDeg(m.drone.dock, 600, 300);
    const items = [missionItem(0, C.NAV_TAKEOFF, { ...m.drone.dock, alt: 30 }), missionItem(1, C.DO_CHANGE_SPEED, { params: [1, 9, -1, 0], frame: F.MISSION }), missionItem(2, C.NAV_WAYPOINT, { ...inSquare, alt: 30 })];
    m.upload(0, items);
    expect(m.texts().map((t) => t.data.text)).toContain('Geofence violation for waypoint 3\t');
    const cold = simModel({ autopilot: 'px4', gpsNoiseM: 0 });
    cold.cmd(C.REQUEST_MESSAGE, [common.MissionCurrent.MSG_ID]);
    expect(cold.of(common.MissionCurrent).at(-1)!.data.missionState).toBe(common.MissionState.NO_MISSION);
  });
});

describe('sim drone as ArduCopter: no mission check against the fence', () => {
  it('reads the fence in either order and starts the mission', () => {
    const m = vehicle('ardupilot');
    expect(m.upload(FENCE, fence(m.drone.dock, false)).type).toBe(MR.ACCEPTED);
    expect(m.upload(0, [missionItem(0, C.NAV_WAYPOINT, { ...m.drone.dock }), ...mission(m.drone.dock, 1)]).type).toBe(MR.ACCEPTED);
    expect(m.texts().map((t) => t.data.text).filter((t) => t.startsWith('Geofence'))).toEqual([]);
    expect(m.missionState()).toBe(common.MissionState.NOT_STARTED);
  });

  it('refuses to arm in RTL naming the mode as ArduCopter does ("Arm: RTL mode not armable")', () => {
    const m = vehicle('ardupilot');
    m.run(60); // past the boot's pre-arm stages
    m.cmd(C.DO_SET_MODE, [1, 6]); // RTL
    m.cmd(C.COMPONENT_ARM_DISARM, [1]);
    expect(m.acks(C.COMPONENT_ARM_DISARM).at(-1)!.data.result).toBe(R.FAILED);
    m.run(0.1);
    expect(m.texts().at(-1)!.data.text).toBe('Arm: RTL mode not armable');
  });
});
