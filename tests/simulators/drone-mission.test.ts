import { describe, expect, it } from 'vitest';
import { common, minimal } from 'node-mavlink';
import { demoDrones, missionCount, missionItem, offsetDeg, useInMemoryVehicles } from '../helpers/sim-drone.ts';

const C = common.MavCmd;
const R = common.MavResult;
const MR = common.MavMissionResult;
const MISSION = 0;
const FENCE = 1;
const RALLY = 2;
const drone = demoDrones()[0]!;
const home = drone.dock;

/** Home, takeoff, two waypoints, RTL. */
function patrolMission(): common.MissionItemInt[] {
  const a = offsetDeg(home, 60, 0);
  const b = offsetDeg(home, 60, 60);
  return [
    missionItem(0, C.NAV_WAYPOINT, { ...home, frame: common.MavFrame.GLOBAL }),
    missionItem(1, C.NAV_TAKEOFF, { alt: 15 }),
    missionItem(2, C.NAV_WAYPOINT, { ...a, alt: 20 }),
    missionItem(3, C.NAV_WAYPOINT, { ...b, alt: 20 }),
    missionItem(4, C.NAV_RETURN_TO_LAUNCH),
  ];
}

function fenceItems(): common.MissionItemInt[] {
  const sq = [offsetDeg(home, -100, -100), offsetDeg(home, 100, -100), offsetDeg(home, 100, 100), offsetDeg(home, -100, 100)];
  return [
    ...sq.map((p, i) => missionItem(i, C.NAV_FENCE_POLYGON_VERTEX_INCLUSION, { ...p, params: [4], missionType: FENCE })),
    missionItem(4, C.NAV_FENCE_CIRCLE_EXCLUSION, { ...offsetDeg(home, 50, -50), params: [10], missionType: FENCE }),
  ];
}

function rallyItems(): common.MissionItemInt[] {
  return [missionItem(0, C.NAV_RALLY_POINT, { ...offsetDeg(home, -40, 0), alt: 20, missionType: RALLY })];
}

describe('sim drone: mission protocol (vehicle side)', () => {
  const vehicle = useInMemoryVehicles({ drone, prearmDelayS: 0 });

  for (const style of ['int', 'legacy'] as const) {
    it(`uploads and downloads mission, fence and rally with ${style} requests`, async () => {
      const { gcs } = vehicle({ missionRequestStyle: style });
      for (const [type, items] of [[MISSION, patrolMission()], [FENCE, fenceItems()], [RALLY, rallyItems()]] as const) {
        const up = await gcs.upload(items, type, { legacyItems: style === 'legacy' });
        expect(up.ack.type).toBe(MR.ACCEPTED);
        expect(style === 'int' ? up.requestsInt : up.requestsLegacy).toBe(items.length);
        expect(style === 'int' ? up.requestsLegacy : up.requestsInt).toBe(0);
        const down = await gcs.download(type, style === 'legacy');
        expect(down.map((i) => i.command)).toEqual(items.map((i) => i.command));
        for (const [k, got] of down.entries()) {
          const want = items[k]!;
          const lat = style === 'legacy' ? Math.round(got.x * 1e7) : got.x;
          expect(Math.abs(lat - want.x)).toBeLessThanOrEqual(style === 'legacy' ? 10 : 0); // float32 degrees lose ~1 cm
          expect(got.missionType).toBe(type);
        }
      }
    });
  }

  it('reports home as mission item 0 whatever was uploaded there, and count 1 when empty', async () => {
    const { gcs } = vehicle();
    expect((await gcs.download(MISSION)).length).toBe(1);
    const items = patrolMission();
    items[0] = missionItem(0, C.NAV_WAYPOINT, { ...offsetDeg(home, 500, 500), frame: common.MavFrame.GLOBAL });
    expect((await gcs.upload(items)).ack.type).toBe(MR.ACCEPTED);
    const down = await gcs.download(MISSION);
    expect(down[0]!.x).toBe(Math.round(home.latDeg * 1e7));
    expect(down[0]!.z).toBeCloseTo(home.altitudeAmslM, 3);
    const clear = gcs.next(common.MissionAck, (a) => a.missionType === MISSION);
    const ca = new common.MissionClearAll();
    ca.targetSystem = drone.mavlink.systemId;
    ca.targetComponent = 1;
    ca.missionType = MISSION;
    gcs.send(ca);
    expect((await clear).type).toBe(MR.ACCEPTED);
    expect((await gcs.download(MISSION)).length).toBe(1);
  });

  it('refuses unsupported commands and frames, too many items, and malformed fences', async () => {
    const { gcs } = vehicle({ maxMissionItems: 10 });
    const bad = patrolMission();
    bad[2] = missionItem(2, 31_000 as common.MavCmd, {});
    expect((await gcs.upload(bad)).ack.type).toBe(MR.UNSUPPORTED);
    const badFrame = patrolMission();
    badFrame[2] = missionItem(2, C.NAV_WAYPOINT, { frame: common.MavFrame.LOCAL_NED });
    expect((await gcs.upload(badFrame)).ack.type).toBe(MR.UNSUPPORTED_FRAME);
    const tooMany = Array.from({ length: 11 }, (_, i) => missionItem(i, C.NAV_WAYPOINT, { ...home, alt: 10 }));
    expect((await gcs.upload(tooMany)).ack.type).toBe(MR.NO_SPACE);
    const twoVertexPolygon = fenceItems().slice(0, 2);
    expect((await gcs.upload(twoVertexPolygon, FENCE)).ack.type).toBe(MR.ERROR);
    const wrongCmd = [missionItem(0, C.NAV_WAYPOINT, { ...home, missionType: RALLY })];
    expect((await gcs.upload(wrongCmd, RALLY)).ack.type).toBe(MR.UNSUPPORTED);
  });

  it('re-requests an unanswered item and cancels a silent upload with OPERATION_CANCELLED', async () => {
    const { gcs } = vehicle({ missionRequestStyle: 'int', missionTimeouts: { requestResendMs: 100, uploadTimeoutMs: 400 } });
    const firstTwo: number[] = [];
    const requests = new Promise<void>((resolve) => {
      gcs.link.on('message', (m) => {
        if (m.msgid !== common.MissionRequestInt.MSG_ID) return;
        firstTwo.push((m.data as common.MissionRequestInt).seq);
        if (firstTwo.length === 2) resolve();
      });
    });
    const cancelled = gcs.next(common.MissionAck, (a) => a.type === MR.OPERATION_CANCELLED, 3000);
    const count = missionCount(drone.mavlink.systemId, 3, MISSION);
    gcs.send(count);
    await requests;
    expect(firstTwo).toEqual([0, 0]); // the same item asked again
    await cancelled;
    expect(gcs.texts()).toContain('Mission upload timeout');
  });

  it('flies the mission in AUTO, reporting MISSION_ITEM_REACHED in order, DO_JUMP and loiters included', async () => {
    const { gcs, drone: d } = vehicle({ speed: 40 });
    const a = offsetDeg(home, 40, 0);
    const b = offsetDeg(home, 40, 40);
    const items = [
      missionItem(0, C.NAV_WAYPOINT, { ...home, frame: common.MavFrame.GLOBAL }),
      missionItem(1, C.NAV_TAKEOFF, { alt: 12 }),
      missionItem(2, C.DO_CHANGE_SPEED, { params: [1, 6, -1], frame: common.MavFrame.MISSION }),
      missionItem(3, C.NAV_WAYPOINT, { ...a, alt: 15 }),
      missionItem(4, C.NAV_LOITER_TIME, { ...b, alt: 15, params: [3] }),
      missionItem(5, C.DO_JUMP, { params: [3, 1], frame: common.MavFrame.MISSION }),
      missionItem(6, C.NAV_LOITER_TURNS, { ...a, alt: 15, params: [1, 0, 8] }),
      missionItem(7, C.NAV_LAND, { ...home }),
    ];
    expect((await gcs.upload(items)).ack.type).toBe(MR.ACCEPTED);
    expect((await gcs.command(C.DO_SET_MODE, [1, 4])).result).toBe(R.ACCEPTED);
    expect((await gcs.command(C.COMPONENT_ARM_DISARM, [1])).result).toBe(R.ACCEPTED);
    await gcs.command(C.SET_MESSAGE_INTERVAL, [common.GlobalPositionInt.MSG_ID, 200_000]);
    const reached: number[] = [];
    let maxSpeedMps = 0;
    gcs.link.on('message', (m) => {
      if (m.msgid === common.MissionItemReached.MSG_ID) reached.push((m.data as common.MissionItemReached).seq);
      if (m.msgid === common.GlobalPositionInt.MSG_ID) {
        const g = m.data as common.GlobalPositionInt;
        maxSpeedMps = Math.max(maxSpeedMps, Math.hypot(g.vx, g.vy) / 100);
      }
    });
    expect((await gcs.command(C.MISSION_START)).result).toBe(R.ACCEPTED);
    await gcs.next(minimal.Heartbeat, (h) => h.customMode === 3 && (h.baseMode & minimal.MavModeFlag.SAFETY_ARMED) === 0, 25_000);
    // takeoff, wp, loiter, (jump back once) wp, loiter, circle, land
    expect(reached).toEqual([1, 3, 4, 3, 4, 6, 7]);
    expect(maxSpeedMps).toBeGreaterThan(3); // it did fly the legs…
    expect(maxSpeedMps).toBeLessThanOrEqual(6.05); // …at the mission's DO_CHANGE_SPEED, not the 12 m/s cruise
    expect(gcs.texts()).toContain('Mission: 6 LoitTurns');
    expect(d.state().altRelM).toBeLessThan(0.2);
  });

  it('AUTO on the ground needs a takeoff first ("Auto: Missing Takeoff Cmd") and MISSION_SET_CURRENT moves the pointer', async () => {
    const { gcs, drone: d } = vehicle();
    const items = patrolMission();
    items.splice(1, 1); // no takeoff
    items.forEach((it, i) => (it.seq = i));
    expect((await gcs.upload(items)).ack.type).toBe(MR.ACCEPTED);
    await gcs.command(C.DO_SET_MODE, [1, 4]);
    await gcs.command(C.COMPONENT_ARM_DISARM, [1]);
    const text = gcs.next(common.StatusText, (t) => t.text === 'Auto: Missing Takeoff Cmd');
    expect((await gcs.command(C.DO_SET_MODE, [1, 3])).result).toBe(R.FAILED);
    await text;
    const cur = gcs.next(common.MissionCurrent, (m) => m.seq === 2);
    const sc = new common.MissionSetCurrent();
    sc.targetSystem = d.systemId;
    sc.targetComponent = 1;
    sc.seq = 2;
    gcs.send(sc);
    expect((await cur).total).toBe(items.length - 1);
    expect((await gcs.command(C.DO_SET_MISSION_CURRENT, [99])).result).toBe(R.DENIED);
  });

  it('RTL returns to the nearest rally point rather than home, and lands there', async () => {
    const { gcs, drone: d } = vehicle({ speed: 40 });
    expect((await gcs.upload(rallyItems(), RALLY)).ack.type).toBe(MR.ACCEPTED); // 40 m south of home
    await gcs.command(C.SET_MESSAGE_INTERVAL, [common.GlobalPositionInt.MSG_ID, 200_000]);
    await gcs.command(C.DO_SET_MODE, [1, 4]);
    await gcs.command(C.COMPONENT_ARM_DISARM, [1]);
    await gcs.command(C.NAV_TAKEOFF, [0, 0, 0, 0, 0, 0, 10]);
    await gcs.next(common.GlobalPositionInt, (g) => g.relativeAlt > 9000, 10_000);
    const south = offsetDeg(home, -70, 0);
    await gcs.commandInt(C.DO_REPOSITION, [-1, 0, 0, 0, south.latDeg, south.lonDeg, 10]);
    await gcs.next(common.GlobalPositionInt, (g) => Math.abs(g.lat - south.latDeg * 1e7) < 300, 10_000);
    expect((await gcs.command(C.NAV_RETURN_TO_LAUNCH)).result).toBe(R.ACCEPTED);
    await gcs.next(minimal.Heartbeat, (h) => h.customMode === 6 && (h.baseMode & minimal.MavModeFlag.SAFETY_ARMED) === 0, 20_000);
    const rally = offsetDeg(home, -40, 0);
    expect(Math.abs(d.state().latDeg - rally.latDeg) * 111_320).toBeLessThan(3);
  });
});
