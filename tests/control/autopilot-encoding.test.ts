import { describe, expect, it } from 'vitest';
import { common, minimal } from 'node-mavlink';
import { encodeMissionItem, encodeReposition, encodeTakeoff } from '../../control/vehicle/autopilot-encoding.ts';
import { firstMismatch, itemDifference } from '../../control/vehicle/plan-compare.ts';
import { waypoint, type PlanItem } from '../../control/vehicle/plan-item.ts';
import { useStubPairs } from './helpers/stub-pair.ts';

const C = common.MavCmd;
const F = common.MavFrame;

function item(command: number, frame: number, p: Partial<PlanItem> = {}): PlanItem {
  return { command, frame, param1: 0, param2: 0, param3: 0, param4: 0, x: 0, y: 0, z: 0, autocontinue: true, ...p };
}

/** What ringwatch's planner builds: every item in GLOBAL_RELATIVE_ALT_INT (the old bug). */
const planned = {
  takeoff: item(C.NAV_TAKEOFF, F.GLOBAL_RELATIVE_ALT_INT, { x: 302700000, y: 1200650000, z: 42.5 }),
  speed: item(C.DO_CHANGE_SPEED, F.GLOBAL_RELATIVE_ALT_INT, { param1: 1, param2: 12, param3: -1 }),
  wp: waypoint({ latDeg: 30.2712345, lonDeg: 120.0654321, altRelM: 42.5, holdS: 2 }),
  jump: item(C.DO_JUMP, F.GLOBAL_RELATIVE_ALT_INT, { param1: 3, param2: 4 }),
  rtl: item(C.NAV_RETURN_TO_LAUNCH, F.GLOBAL_RELATIVE_ALT_INT),
};

describe('per-autopilot encoding of mission items and commands', () => {
  it.each(['ardupilot', 'px4'] as const)('%s: NAV items in GLOBAL_RELATIVE_ALT_INT, DO_*/RTL in MAV_FRAME_MISSION', (ap) => {
    expect(encodeMissionItem(ap, 'mission', planned.takeoff).frame).toBe(F.GLOBAL_RELATIVE_ALT_INT);
    expect(encodeMissionItem(ap, 'mission', planned.wp).frame).toBe(F.GLOBAL_RELATIVE_ALT_INT);
    for (const i of [planned.speed, planned.jump, planned.rtl]) {
      expect(encodeMissionItem(ap, 'mission', i)).toMatchObject({ frame: F.MISSION, x: 0, y: 0, z: 0, param1: i.param1, param2: i.param2 });
    }
  });

  it('DO_REPOSITION: ArduPilot relative in GLOBAL_RELATIVE_ALT_INT; PX4 AMSL in GLOBAL_INT', () => {
    const to = { latDeg: 30.27, lonDeg: 120.06, altRelM: 30, speedMps: 15 };
    const ap = encodeReposition('ardupilot', to, { homeAmslM: 12 });
    expect(ap.ok && ap.spec.int?.frame).toBe(F.GLOBAL_RELATIVE_ALT_INT);
    expect(ap.ok && ap.spec.params[6]).toBe(30);
    const px4 = encodeReposition('px4', to, { homeAmslM: 12 });
    expect(px4.ok && px4.spec.int?.frame).toBe(F.GLOBAL_INT);
    expect(px4.ok && px4.spec.params[6]).toBe(42);
    expect(px4.ok && px4.spec.params[0]).toBe(15); // PX4 flies param1
    expect(encodeReposition('px4', to, { homeAmslM: undefined })).toMatchObject({ ok: false, reason: expect.stringMatching(/home altitude/) });
  });

  it('NAV_TAKEOFF param7: relative on ArduPilot, AMSL (relative + home) on PX4', () => {
    const ap = encodeTakeoff('ardupilot', 30, { homeAmslM: 12 });
    const px4 = encodeTakeoff('px4', 30, { homeAmslM: 12 });
    expect(ap.ok && ap.spec.params[6]).toBe(30);
    expect(px4.ok && px4.spec.params[6]).toBe(42);
    expect(encodeTakeoff('px4', 30, { homeAmslM: undefined }).ok).toBe(false);
  });
});

describe('read-back compares meaning, not encoding', () => {
  const sent = (ap: 'ardupilot' | 'px4') => Object.values(planned).map((i) => encodeMissionItem(ap, 'mission', i));

  // Items exactly as ArduCopter 4.7-dev returned them on SITL.
  const arducopter: PlanItem[] = [
    item(C.NAV_TAKEOFF, F.GLOBAL_RELATIVE_ALT, { x: 302700000, y: 1200650000, z: 42.5 }),
    item(C.DO_CHANGE_SPEED, F.GLOBAL, { param1: 1, param2: 12, param3: -1 }),
    item(C.NAV_WAYPOINT, F.GLOBAL_RELATIVE_ALT, { param1: 2, x: 302712345, y: 1200654321, z: 42.5 }),
    item(C.DO_JUMP, F.GLOBAL, { param1: 3, param2: 4 }),
    item(C.NAV_RETURN_TO_LAUNCH, F.GLOBAL),
  ];
  // As PX4 returns them: relative INT frame kept, DO_* in MISSION, NaN yaw kept.
  const px4: PlanItem[] = [
    item(C.NAV_TAKEOFF, F.GLOBAL_RELATIVE_ALT_INT, { x: 302700000, y: 1200650000, z: 42.5, param4: Number.NaN }),
    item(C.DO_CHANGE_SPEED, F.MISSION, { param1: 1, param2: 12, param3: -1 }),
    item(C.NAV_WAYPOINT, F.GLOBAL_RELATIVE_ALT_INT, { param1: 2, x: 302712345, y: 1200654321, z: 42.5, param4: Number.NaN }),
    item(C.DO_JUMP, F.MISSION, { param1: 3, param2: 4 }),
    item(C.NAV_RETURN_TO_LAUNCH, F.MISSION),
  ];

  it('accepts ArduCopter and PX4 read-backs of the same plan', () => {
    expect(firstMismatch(sent('ardupilot'), arducopter)).toBeUndefined();
    expect(firstMismatch(sent('px4'), px4)).toBeUndefined();
  });

  const wp = encodeMissionItem('ardupilot', 'mission', planned.wp);
  it.each([
    ['another command', { ...wp, command: C.NAV_LAND }],
    ['AMSL instead of relative', { ...wp, frame: F.GLOBAL }],
    ['terrain frame', { ...wp, frame: F.GLOBAL_TERRAIN_ALT_INT }],
    ['2 m off in latitude', { ...wp, x: wp.x + 180 }],
    ['altitude 0.5 m lower', { ...wp, z: wp.z - 0.5 }],
    ['hold time 5 s', { ...wp, param1: 5 }],
  ])('finds a real difference: %s', (_why, got) => {
    expect(itemDifference(wp, got)).toBeDefined();
  });

  it('finds a changed speed, jump target or count', () => {
    const speed = encodeMissionItem('px4', 'mission', planned.speed);
    expect(itemDifference(speed, { ...speed, param2: 10 })).toMatch(/param2/);
    const jump = encodeMissionItem('px4', 'mission', planned.jump);
    expect(itemDifference(jump, { ...jump, param1: 4 })).toMatch(/param1/);
    expect(firstMismatch([wp, wp], [wp])).toMatchObject({ index: 1 });
  });
});

const openPair = useStubPairs();
const pair = (autopilot: number) => openPair({ autopilot });

describe('patrol upload against scripted autopilots', () => {
  it('verifies a plan ArduCopter returns in frames 3 and 0 (issue 11.1)', async () => {
    const { v, stub } = await pair(minimal.MavAutopilot.ARDUPILOTMEGA);
    stub.readBack = 'ardupilot';
    const r = await v.mission.upload(Object.values(planned));
    expect(r).toMatchObject({ status: 'success', verified: true });
  });

  it('is accepted by PX4, which refuses DO_* items outside MAV_FRAME_MISSION (issue 17.1)', async () => {
    const { v, stub } = await pair(minimal.MavAutopilot.PX4);
    stub.px4MissionFrames = true;
    const r = await v.mission.upload(Object.values(planned));
    expect(r).toMatchObject({ status: 'success', verified: true });
    const stored = stub.store.get(common.MavMissionType.MISSION)!;
    expect(stored).toHaveLength(5); // PX4 keeps no home item
    expect(stored[1]!.frame).toBe(F.MISSION);
  });

  it('answers MISSION_REQUEST with MISSION_ITEM_INT (issue 11.2)', async () => {
    const { v, stub } = await pair(minimal.MavAutopilot.ARDUPILOTMEGA);
    stub.legacy = true;
    const r = await v.mission.upload(Object.values(planned));
    expect(r).toMatchObject({ status: 'success', verified: true, legacyRequests: true });
    expect(stub.received.some((m) => m instanceof common.MissionRequest)).toBe(false); // ours: none
    expect(stub.received.filter((m) => m instanceof common.MissionItem && !(m instanceof common.MissionItemInt))).toHaveLength(0);
    expect(stub.received.filter((m) => m instanceof common.MissionItemInt).length).toBeGreaterThanOrEqual(6);
  });
});
