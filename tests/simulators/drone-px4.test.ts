/**
 * The simulator's PX4 personality against what PX4 SITL (main, March 2026, SIH quad)
 * did in issue 17 and what mavlink_mission.cpp reads. Talks raw MAVLink to the pure model.
 */
import { describe, expect, it } from 'vitest';
import { common, minimal } from 'node-mavlink';
import { missionCount, missionItem, offsetDeg, simModel } from '../helpers/sim-drone.ts';

const C = common.MavCmd;
const F = common.MavFrame;
const R = common.MavResult;
const MR = common.MavMissionResult;
/** px4_custom_mode: main mode bits 16-23, sub mode bits 24-31. */
const px4Mode = (main: number, sub = 0) => ((sub << 24) | (main << 16)) >>> 0;
const HOLD = px4Mode(4, 3);
const MISSION = px4Mode(4, 4);
const OFFBOARD = px4Mode(6);

/** A GCS heartbeat: PX4 sends STATUSTEXT only once it counts a GCS as connected. */
function gcsHeartbeat(): minimal.Heartbeat {
  const hb = new minimal.Heartbeat();
  hb.type = minimal.MavType.GCS;
  hb.autopilot = minimal.MavAutopilot.INVALID;
  return hb;
}

function px4(opts: Parameters<typeof simModel>[0] = {}) {
  const m = simModel({ autopilot: 'px4', prearmDelayS: 0, gpsNoiseM: 0, ...opts });
  m.send(gcsHeartbeat());
  m.run(1.5); // texts flow from ~1 s after the GCS is first heard
  const commandInt = (command: number, frame: number, p: number[], latDeg: number, lonDeg: number, z: number) => {
    const c = new common.CommandInt();
    c.targetSystem = m.v.systemId;
    c.targetComponent = 1;
    c.command = command;
    c.frame = frame;
    [c._param1, c._param2, c._param3, c._param4] = [p[0] ?? 0, p[1] ?? 0, p[2] ?? 0, p[3] ?? 0];
    c._param5 = Math.round(latDeg * 1e7);
    c._param6 = Math.round(lonDeg * 1e7);
    c._param7 = z;
    m.send(c);
  };
  const upload = (items: common.MissionItemInt[]) => {
    const count = missionCount(m.v.systemId, items.length);
    const before = m.out.length;
    m.send(count);
    for (const it of items) {
      const asked = m.out.slice(before).some((o) => o.data instanceof common.MissionRequestInt && o.data.seq === it.seq);
      if (!asked) break;
      m.send(it);
    }
    return m.of(common.MissionAck).at(-1)!.data;
  };
  const heartbeat = () => {
    m.cmd(C.REQUEST_MESSAGE, [minimal.Heartbeat.MSG_ID]);
    return m.of(minimal.Heartbeat).at(-1)!.data;
  };
  /** Armed in Hold at `altRelM` (PX4 takeoff altitude is AMSL). */
  const airborne = (altRelM: number) => {
    m.cmd(C.COMPONENT_ARM_DISARM, [1]);
    m.cmd(C.NAV_TAKEOFF, [0, 0, 0, 0, 0, 0, m.drone.dock.altitudeAmslM + altRelM]);
    m.run(altRelM / 2.5 + 8);
  };
  return { ...m, commandInt, upload, heartbeat, airborne };
}

describe('sim drone as PX4', () => {
  it('sends HEARTBEAT as PX4 with main/sub custom modes, boots in Hold and takes DO_SET_MODE and SET_MODE in that encoding', () => {
    const m = px4();
    const hb = m.heartbeat();
    expect(hb.autopilot).toBe(minimal.MavAutopilot.PX4);
    expect(hb.customMode).toBe(HOLD);
    expect(m.v.state().mode).toBe('AUTO.LOITER');
    m.cmd(C.DO_SET_MODE, [1, 6]); // Offboard
    expect(m.acks(C.DO_SET_MODE).at(-1)!.data.result).toBe(R.ACCEPTED);
    expect(m.heartbeat().customMode).toBe(OFFBOARD);
    const set = new common.SetMode();
    set.targetSystem = m.v.systemId;
    set.baseMode = minimal.MavModeFlag.CUSTOM_MODE_ENABLED as number as common.MavMode;
    set.customMode = px4Mode(4, 5); // AUTO.RTL
    m.send(set);
    expect(m.v.state().mode).toBe('AUTO.RTL');
    m.cmd(C.DO_SET_MODE, [1, 4, 99]); // no such AUTO sub mode
    expect(m.acks(C.DO_SET_MODE).at(-1)!.data.result).toBe(R.FAILED);
  });

  it('refuses DO_CHANGE_SPEED, DO_JUMP and NAV_RETURN_TO_LAUNCH outside MAV_FRAME_MISSION with "IGN MISSION_ITEM: Invalid item" and MISSION_ACK 3', () => {
    // PX4 SITL (issue 17, item 1): every sortie failed with MISSION_ACK 3 until these went in frame 2.
    for (const command of [C.DO_CHANGE_SPEED, C.DO_JUMP, C.NAV_RETURN_TO_LAUNCH]) {
      const m = px4();
      const wp = offsetDeg(m.drone.dock, 100, 0);
      const params: [number, number, number, number] = command === C.DO_JUMP ? [1, -1, 0, 0] : command === C.DO_CHANGE_SPEED ? [1, 12, -1, 0] : [0, 0, 0, 0];
      const items = [missionItem(0, C.NAV_TAKEOFF, { ...m.drone.dock, alt: 30 }), missionItem(1, C.NAV_WAYPOINT, { ...wp, alt: 30 }), missionItem(2, command, { params })];
      const ack = m.upload(items);
      expect(ack.type).toBe(MR.UNSUPPORTED);
      expect(ack.type).toBe(3);
      const text = m.texts().at(-1)!.data;
      expect(text.text).toBe('IGN MISSION_ITEM: Invalid item\t'); // PX4 sends its events marker too
      expect(text.severity).toBe(common.MavSeverity.CRITICAL);
      const inMissionFrame = [...items.slice(0, 2), missionItem(2, command, { params, frame: F.MISSION })];
      expect(m.upload(inMissionFrame).type).toBe(MR.ACCEPTED);
    }
  });

  it('keeps no home at item 0: the count is what was uploaded and item 0 reads back as the first item sent', () => {
    const m = px4();
    const wp = offsetDeg(m.drone.dock, 100, 0);
    const items = [
      missionItem(0, C.NAV_TAKEOFF, { ...m.drone.dock, alt: 30 }),
      missionItem(1, C.DO_CHANGE_SPEED, { params: [1, 9, -1, 0], frame: F.MISSION }),
      missionItem(2, C.NAV_WAYPOINT, { ...wp, alt: 30 }),
    ];
    expect(m.upload(items).type).toBe(MR.ACCEPTED);
    const list = new common.MissionRequestList();
    list.targetSystem = m.v.systemId;
    list.targetComponent = 1;
    list.missionType = 0;
    m.send(list);
    expect(m.of(common.MissionCount).at(-1)!.data.count).toBe(3);
    const back: common.MissionItemInt[] = [];
    for (let seq = 0; seq < 3; seq++) {
      const req = new common.MissionRequestInt();
      req.targetSystem = m.v.systemId;
      req.targetComponent = 1;
      req.seq = seq;
      req.missionType = 0;
      m.send(req);
      back.push(m.of(common.MissionItemInt).at(-1)!.data);
    }
    expect(back.map((i) => i.command)).toEqual([C.NAV_TAKEOFF, C.DO_CHANGE_SPEED, C.NAV_WAYPOINT]);
    expect(back.map((i) => i.frame)).toEqual([F.GLOBAL_RELATIVE_ALT_INT, F.MISSION, F.GLOBAL_RELATIVE_ALT_INT]);
    expect(back[1]!.param2).toBe(9);
  });

  it('refuses COMMAND_INT outside GLOBAL_INT and DO_REPOSITION without the change-mode flag; flies it in GLOBAL_INT, AMSL, at param1', () => {
    // PX4 SITL (issue 17, item 2): "frame invalid for command 192" in frame 6 (on PX4's console:
    // MavlinkReceiver acks UNSUPPORTED_MAV_FRAME); GLOBAL_INT flew to 0 m off target.
    const m = px4();
    m.airborne(20);
    const target = offsetDeg(m.drone.dock, 400, 0);
    const texts = m.texts().length;
    m.commandInt(C.DO_REPOSITION, F.GLOBAL_RELATIVE_ALT_INT, [-1, 1, 0, 0], target.latDeg, target.lonDeg, 30);
    expect(m.acks(C.DO_REPOSITION).at(-1)!.data.result).toBe(R.COMMAND_UNSUPPORTED_MAV_FRAME);
    m.commandInt(C.DO_REPOSITION, F.GLOBAL_INT, [-1, 0, 0, 0], target.latDeg, target.lonDeg, 30);
    expect(m.acks(C.DO_REPOSITION).at(-1)!.data.result).toBe(R.UNSUPPORTED); // Commander: no mode-switch bit
    m.run(10);
    expect(m.texts().length).toBe(texts); // nothing over MAVLink says why
    expect(m.v.state().groundSpeedMps).toBeLessThan(0.2); // did not go anywhere
    const amsl = m.drone.dock.altitudeAmslM + 30;
    m.commandInt(C.DO_REPOSITION, F.GLOBAL_INT, [8, 1, 0, 0], target.latDeg, target.lonDeg, amsl);
    expect(m.acks(C.DO_REPOSITION).at(-1)!.data.result).toBe(R.ACCEPTED);
    let max = 0;
    m.run(80, (s) => (max = Math.max(max, s.groundSpeedMps)));
    const s = m.v.state();
    expect(Math.abs(s.latDeg - target.latDeg) * 111_320).toBeLessThan(2);
    expect(s.altRelM).toBeCloseTo(30, 0);
    expect(max).toBeCloseTo(8, 1); // PX4 honours the reposition's ground speed
    expect(s.mode).toBe('AUTO.LOITER');
  });

  it('reads NAV_TAKEOFF param7 as AMSL: 30 sent over a 12 m home hovers at 18 m', () => {
    // PX4 SITL (issue 17, item 3): a 30 m request hovered at 18–19.5 m.
    const m = px4();
    const homeAmsl = m.drone.dock.altitudeAmslM;
    m.cmd(C.COMPONENT_ARM_DISARM, [1]);
    m.cmd(C.NAV_TAKEOFF, [0, 0, 0, 0, 0, 0, 30]);
    expect(m.acks(C.NAV_TAKEOFF).at(-1)!.data.result).toBe(R.ACCEPTED);
    expect(m.v.state().mode).toBe('AUTO.TAKEOFF');
    m.run(25);
    expect(m.v.state().altRelM).toBeCloseTo(30 - homeAmsl, 0);
    expect(m.v.state().mode).toBe('AUTO.LOITER'); // takeoff ends in Hold
  });

  it('answers an arm right after boot with TEMPORARILY_REJECTED at once and its reason in two STATUSTEXT chunks once texts flow; ready ~6 s after boot', () => {
    // PX4 SITL (issue 17, items 4 and 5): ack within 8 ms, the reason ~880 ms later, ready soon
    // after. PX4 SITL here: arm 1 s after the first GCS heartbeat → TEMPORARILY_REJECTED in 7.9 ms;
    // no text until the STATUSTEXT stream counted the GCS as connected (~1.4 s), then
    // "Arming denied: Resolve system health failures firs" + "t\t" (id n, chunk_seq 0 and 1);
    // later refusals' reasons in the same ms as their acks; armed at ~4 s with "Armed by
    // external command\t" (HOME_POSITION at 2.4 s, "Ready for takeoff!" within ~6 s of boot).
    const m = simModel({ autopilot: 'px4', gpsNoiseM: 0, stepMs: 10 });
    m.send(gcsHeartbeat());
    m.run(0.12);
    m.cmd(C.COMPONENT_ARM_DISARM, [1]);
    const ack = m.acks(C.COMPONENT_ARM_DISARM)[0]!;
    expect(ack.data.result).toBe(R.TEMPORARILY_REJECTED);
    expect(ack.atMs).toBe(120);
    m.run(1.5);
    const chunks = m.texts();
    expect(chunks.length).toBe(2);
    expect(chunks.map((c) => c.data.chunkSeq)).toEqual([0, 1]);
    expect(new Set(chunks.map((c) => c.data.id)).size).toBe(1);
    expect(chunks.map((c) => c.data.text).join('')).toBe('Arming denied: Resolve system health failures first\t');
    expect(chunks[0]!.data.text).toHaveLength(50);
    expect(chunks[0]!.atMs - ack.atMs).toBe(880);
    // once texts flow, the reason follows its ack within a few ms
    m.run(1);
    m.cmd(C.COMPONENT_ARM_DISARM, [1]);
    const again = m.acks(C.COMPONENT_ARM_DISARM).at(-1)!;
    expect(again.data.result).toBe(R.TEMPORARILY_REJECTED);
    m.run(0.05);
    const reason = m.texts().filter((t) => t.atMs >= again.atMs);
    expect(reason.length).toBe(2);
    expect(reason[0]!.atMs - again.atMs).toBeLessThanOrEqual(20);
    m.run(6 - m.nowMs() / 1000);
    m.cmd(C.COMPONENT_ARM_DISARM, [1]);
    expect(m.acks(C.COMPONENT_ARM_DISARM).at(-1)!.data.result).toBe(R.ACCEPTED);
    m.run(0.05);
    expect(m.texts().at(-1)!.data.text).toBe('Armed by external command\t');
  });

  it('ignores SET_POSITION_TARGET_GLOBAL_INT outside Offboard and follows it in Offboard', () => {
    // PX4 SITL (issue 17, item 2): in Hold the drone stayed 370 m from the target.
    const m = px4();
    m.airborne(20);
    const target = offsetDeg(m.drone.dock, 300, 0);
    const sp = new common.SetPositionTargetGlobalInt();
    sp.targetSystem = m.v.systemId;
    sp.targetComponent = 1;
    sp.coordinateFrame = F.GLOBAL_RELATIVE_ALT_INT;
    sp.typeMask = 0b0000_1111_1111_1000 as common.PositionTargetTypemask;
    sp.latInt = Math.round(target.latDeg * 1e7);
    sp.lonInt = Math.round(target.lonDeg * 1e7);
    sp.alt = 20;
    m.send(sp);
    m.run(20);
    expect(Math.abs(m.v.state().latDeg - m.drone.dock.latDeg) * 111_320).toBeLessThan(2);
    m.cmd(C.DO_SET_MODE, [1, 6]);
    m.send(sp);
    m.run(90);
    expect(Math.abs(m.v.state().latDeg - target.latDeg) * 111_320).toBeLessThan(2);
  });

  it('Hold stops a running mission; the landing ends with "Disarmed by landing"', () => {
    const m = px4({ autoDisarmS: 0 });
    const wps = [100, 300, 500, 700].map((n) => offsetDeg(m.drone.dock, n, 0));
    const items = [missionItem(0, C.NAV_TAKEOFF, { ...m.drone.dock, alt: 20 }), ...wps.map((p, i) => missionItem(i + 1, C.NAV_WAYPOINT, { ...p, alt: 20 }))];
    expect(m.upload(items).type).toBe(MR.ACCEPTED);
    m.run(0.2); // PX4's navigator checks the new mission on its next cycle; until then it is not valid
    m.cmd(C.COMPONENT_ARM_DISARM, [1]);
    m.cmd(C.MISSION_START, [0, 0]);
    expect(m.heartbeat().customMode).toBe(MISSION);
    m.run(40);
    const seq = m.v.state().missionSeq;
    expect(seq).toBeGreaterThanOrEqual(1);
    m.cmd(C.DO_SET_MODE, [1, 4, 3]); // Hold
    m.run(5);
    const held = m.v.state();
    m.run(30);
    expect(m.v.state().missionSeq).toBe(seq);
    expect(Math.abs(m.v.state().latDeg - held.latDeg) * 111_320).toBeLessThan(2);
    m.cmd(C.NAV_LAND);
    expect(m.v.state().mode).toBe('AUTO.LAND');
    m.run(60);
    expect(m.v.state().armed).toBe(false);
    expect(m.texts().map((t) => t.data.text)).toContain('Disarmed by landing\t');
  });
});
