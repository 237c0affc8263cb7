import { afterEach, describe, expect, it } from 'vitest';
import { common, minimal } from 'node-mavlink';
import { commandLong, demoDrones, missionItem, offsetDeg, startSimDrones, TestGcs, useInMemoryVehicles, type SimDroneFleet } from '../helpers/sim-drone.ts';

const C = common.MavCmd;
const R = common.MavResult;
const GUIDED = 4;
const drone = demoDrones()[0]!;

/** Streams we wait for must arrive well inside this; absence is checked over a shorter window. */
const MSG_TIMEOUT_MS = 3000;

describe('sim drone: commands and acks (Copter semantics)', () => {
  const vehicle = useInMemoryVehicles({ drone, prearmDelayS: 0, speed: 10 });
  let fleet: SimDroneFleet | undefined;
  afterEach(async () => {
    await fleet?.close();
    fleet = undefined;
  });

  async function armAndTakeoff(gcs: TestGcs, altM = 20): Promise<void> {
    expect((await gcs.command(C.DO_SET_MODE, [minimal.MavModeFlag.CUSTOM_MODE_ENABLED, GUIDED])).result).toBe(R.ACCEPTED);
    expect((await gcs.command(C.COMPONENT_ARM_DISARM, [1])).result).toBe(R.ACCEPTED);
    expect((await gcs.command(C.NAV_TAKEOFF, [0, 0, 0, 0, 0, 0, altM])).result).toBe(R.ACCEPTED);
    await gcs.command(C.SET_MESSAGE_INTERVAL, [common.GlobalPositionInt.MSG_ID, 200_000]);
    await gcs.next(common.GlobalPositionInt, (g) => g.relativeAlt > (altM - 1) * 1000, 10_000);
  }

  it('sends Copter heartbeats, and only heartbeats until streams are requested', async () => {
    const { gcs } = vehicle();
    const hb = await gcs.next(minimal.Heartbeat, undefined, MSG_TIMEOUT_MS);
    expect(hb.type).toBe(minimal.MavType.QUADROTOR);
    expect(hb.autopilot).toBe(minimal.MavAutopilot.ARDUPILOTMEGA);
    expect(hb.baseMode & minimal.MavModeFlag.CUSTOM_MODE_ENABLED).toBeTruthy();
    expect(hb.baseMode & minimal.MavModeFlag.SAFETY_ARMED).toBe(0);
    expect(hb.customMode).toBe(0); // STABILIZE at boot
    await gcs.next(minimal.Heartbeat, undefined, MSG_TIMEOUT_MS); // a second one: streams had time to show
    const ids = new Set(gcs.received.map((m) => m.msgid));
    expect([...ids]).toEqual([minimal.Heartbeat.MSG_ID]);

    const rds = new common.RequestDataStream();
    rds.targetSystem = drone.mavlink.systemId;
    rds.targetComponent = 1;
    rds.reqStreamId = 0; // MAV_DATA_STREAM_ALL
    rds.reqMessageRate = 5;
    rds.startStop = 1;
    gcs.send(rds);
    await Promise.all([
      gcs.next(common.GlobalPositionInt),
      gcs.next(common.SysStatus),
      gcs.next(common.GpsRawInt, (g) => g.fixType === 3),
      gcs.next(common.Attitude),
      gcs.next(common.VfrHud),
      gcs.next(common.BatteryStatus, (b) => b.batteryRemaining === 100),
      gcs.next(common.MissionCurrent),
    ]);
  });

  it('honours SET_MESSAGE_INTERVAL and GET_MESSAGE_INTERVAL, and denies messages it cannot stream', async () => {
    const { gcs } = vehicle({ speed: 1 });
    expect((await gcs.command(C.SET_MESSAGE_INTERVAL, [common.GlobalPositionInt.MSG_ID, 100_000])).result).toBe(R.ACCEPTED);
    expect((await gcs.command(C.SET_MESSAGE_INTERVAL, [common.HomePosition.MSG_ID, 1_000_000])).result).toBe(R.ACCEPTED);
    await gcs.next(common.HomePosition, (h) => h.latitude === Math.round(drone.dock.latDeg * 1e7));
    const times: number[] = [];
    for (let i = 0; i < 7; i++) times.push((await gcs.next(common.GlobalPositionInt)).timeBootMs);
    const gaps = times.slice(1).map((t, i) => t - times[i]!).sort((a, b) => a - b);
    // ~10 Hz in simulated time; the 25 ms scheduler tick blurs single gaps, not the median.
    expect(gaps[3]).toBeGreaterThanOrEqual(70);
    expect(gaps[3]).toBeLessThanOrEqual(160);
    const interval = gcs.next(common.MessageInterval);
    expect((await gcs.command(C.GET_MESSAGE_INTERVAL, [common.GlobalPositionInt.MSG_ID])).result).toBe(R.ACCEPTED);
    expect((await interval).intervalUs).toBe(100_000);
    expect((await gcs.command(C.SET_MESSAGE_INTERVAL, [common.GlobalPositionInt.MSG_ID, -1])).result).toBe(R.ACCEPTED);
    expect((await gcs.command(C.SET_MESSAGE_INTERVAL, [9999, 100_000])).result).toBe(R.DENIED);
  });

  it('refuses to arm with the boot stage\'s "Arm: …" reasons until the boot window ends', async () => {
    // A 3 s boot (the whole 41 s SITL timeline: drone-ardupilot-calibration.test.ts).
    const { gcs } = vehicle({ prearmDelayS: 3, speed: 10 });
    await gcs.command(C.DO_SET_MODE, [1, GUIDED]);
    const text = gcs.next(common.StatusText, (t) => t.text.startsWith('Arm: '));
    expect((await gcs.command(C.COMPONENT_ARM_DISARM, [1])).result).toBe(R.FAILED);
    expect((await text).text).toMatch(/^Arm: (System not initialised|Need Alt Estimate|Accels inconsistent|Gyros inconsistent|Need Position Estimate)$/);
    // 3 s simulated = 300 ms real at speed 10: wait for the SYS_STATUS that reports the prearm check healthy.
    await gcs.command(C.SET_MESSAGE_INTERVAL, [common.SysStatus.MSG_ID, 200_000]);
    await gcs.next(common.SysStatus, (s) => (s.onboardControlSensorsHealth & common.MavSysStatusSensor.PREARM_CHECK) !== 0);
    expect((await gcs.command(C.COMPONENT_ARM_DISARM, [1])).result).toBe(R.ACCEPTED);
    const hb = await gcs.next(minimal.Heartbeat, (h) => (h.baseMode & minimal.MavModeFlag.SAFETY_ARMED) !== 0);
    expect(hb.customMode).toBe(GUIDED);
    expect(hb.systemStatus).toBe(minimal.MavState.ACTIVE);
  });

  it('refuses arming in AUTO ("AUTO mode not armable") and takeoff when disarmed or outside GUIDED/LOITER', async () => {
    const { gcs } = vehicle();
    expect((await gcs.command(C.NAV_TAKEOFF, [0, 0, 0, 0, 0, 0, 20])).result).toBe(R.FAILED); // disarmed
    expect((await gcs.command(C.DO_SET_MODE, [1, 3])).result).toBe(R.ACCEPTED); // AUTO while disarmed: allowed
    const text = gcs.next(common.StatusText, (t) => t.text.startsWith('Arm'));
    expect((await gcs.command(C.COMPONENT_ARM_DISARM, [1])).result).toBe(R.FAILED);
    expect((await text).text).toBe('Arm: AUTO mode not armable'); // AP_Arming_Copter: "%s mode not armable"
    await gcs.command(C.DO_SET_MODE, [1, 0]); // STABILIZE
    expect((await gcs.command(C.COMPONENT_ARM_DISARM, [1])).result).toBe(R.ACCEPTED);
    expect((await gcs.command(C.NAV_TAKEOFF, [0, 0, 0, 0, 0, 0, 20])).result).toBe(R.FAILED); // no user takeoff in STABILIZE
    expect((await gcs.command(C.COMPONENT_ARM_DISARM, [0])).result).toBe(R.ACCEPTED); // on the ground
  });

  it('answers mode changes: DENIED without the custom-mode flag, FAILED for unknown modes, SET_MODE acked as DO_SET_MODE', async () => {
    const { gcs, drone: d } = vehicle();
    expect((await gcs.command(C.DO_SET_MODE, [0, GUIDED])).result).toBe(R.DENIED);
    expect((await gcs.command(C.DO_SET_MODE, [1, 77])).result).toBe(R.FAILED);
    const ack = gcs.next(common.CommandAck, (a) => a.command === C.DO_SET_MODE);
    const sm = new common.SetMode();
    sm.targetSystem = d.systemId;
    sm.baseMode = minimal.MavModeFlag.CUSTOM_MODE_ENABLED as number as common.MavMode;
    sm.customMode = 5; // LOITER
    gcs.send(sm);
    expect((await ack).result).toBe(R.ACCEPTED);
    expect(d.state().mode).toBe('LOITER');
  });

  it('flies guided: takeoff, DO_REPOSITION (COMMAND_INT only, as ArduCopter 4.7), SET_POSITION_TARGET_GLOBAL_INT, DO_CHANGE_SPEED', async () => {
    const { gcs, drone: d } = vehicle({ speed: 50 });
    await armAndTakeoff(gcs);
    expect((await gcs.command(C.NAV_TAKEOFF, [0, 0, 0, 0, 0, 0, 30])).result).toBe(R.FAILED); // already flying
    expect((await gcs.command(C.DO_CHANGE_SPEED, [1, 8, -1])).result).toBe(R.ACCEPTED);
    // handle_MAV_CMD_DO_CHANGE_SPEED: climb/descent speeds are settable in GUIDED; no speed or an unknown type is DENIED
    expect((await gcs.command(C.DO_CHANGE_SPEED, [2, 2.5, -1])).result).toBe(R.ACCEPTED);
    expect((await gcs.command(C.DO_CHANGE_SPEED, [1, 0, -1])).result).toBe(R.DENIED);
    expect((await gcs.command(C.DO_CHANGE_SPEED, [7, 8, -1])).result).toBe(R.DENIED);
    const a = offsetDeg(drone.dock, 150, 0);
    // try_command_long_as_command_int: a location command with no COMMAND_LONG frame is UNSUPPORTED.
    expect((await gcs.command(C.DO_REPOSITION, [-1, 0, 0, 0, a.latDeg, a.lonDeg, 25])).result).toBe(R.UNSUPPORTED);
    expect((await gcs.commandInt(C.DO_REPOSITION, [-1, 0, 0, 0, a.latDeg, a.lonDeg, 25])).result).toBe(R.ACCEPTED);
    await gcs.command(C.SET_MESSAGE_INTERVAL, [common.GlobalPositionInt.MSG_ID, 200_000]);
    await gcs.command(C.SET_MESSAGE_INTERVAL, [common.PositionTargetGlobalInt.MSG_ID, 500_000]);
    const latE7 = Math.round(a.latDeg * 1e7);
    const target = await gcs.next(common.PositionTargetGlobalInt, (p) => p.latInt === latE7);
    expect(target.alt).toBeCloseTo(drone.dock.altitudeAmslM + 25, 3); // Copter reports the target AMSL
    const moving = await gcs.next(common.GlobalPositionInt, (g) => Math.hypot(g.vx, g.vy) > 600, 10_000);
    expect(Math.hypot(moving.vx, moving.vy)).toBeLessThanOrEqual(8 * 100 + 30); // DO_CHANGE_SPEED held
    await gcs.next(common.GlobalPositionInt, (g) => Math.abs(g.lat - a.latDeg * 1e7) < 200 && Math.abs(g.relativeAlt - 25_000) < 1500, 15_000);

    // COMMAND_INT with degE7 and an AMSL frame
    const b = offsetDeg(drone.dock, 0, 100);
    const ci = new common.CommandInt();
    ci.targetSystem = d.systemId;
    ci.targetComponent = 1;
    ci.frame = common.MavFrame.GLOBAL;
    ci.command = C.DO_REPOSITION;
    ci._param1 = -1;
    ci._param5 = Math.round(b.latDeg * 1e7);
    ci._param6 = Math.round(b.lonDeg * 1e7);
    ci._param7 = drone.dock.altitudeAmslM + 30;
    const ack = gcs.next(common.CommandAck, (x) => x.command === C.DO_REPOSITION);
    gcs.send(ci);
    expect((await ack).result).toBe(R.ACCEPTED);
    await gcs.next(common.GlobalPositionInt, (g) => Math.abs(g.lon - b.lonDeg * 1e7) < 200 && Math.abs(g.relativeAlt - 30_000) < 1500, 15_000);

    // SET_POSITION_TARGET_GLOBAL_INT (no ack, as Copter)
    const c = offsetDeg(drone.dock, -80, 0);
    const sp = new common.SetPositionTargetGlobalInt();
    sp.targetSystem = d.systemId;
    sp.targetComponent = 1;
    sp.coordinateFrame = common.MavFrame.GLOBAL_RELATIVE_ALT_INT;
    sp.typeMask = 0b0000_1111_1111_1000 as common.PositionTargetTypemask; // position only
    sp.latInt = Math.round(c.latDeg * 1e7);
    sp.lonInt = Math.round(c.lonDeg * 1e7);
    sp.alt = 20;
    gcs.send(sp);
    await gcs.next(common.GlobalPositionInt, (g) => Math.abs(g.lat - c.latDeg * 1e7) < 200 && Math.abs(g.relativeAlt - 20_000) < 1500, 15_000);
    expect(d.state().mode).toBe('GUIDED');
  });

  it('DO_REPOSITION outside GUIDED is DENIED unless it may change mode; LOITER refuses a new speed', async () => {
    const { gcs, drone: d } = vehicle({ speed: 20 });
    await armAndTakeoff(gcs, 10);
    await gcs.command(C.DO_SET_MODE, [1, 5]); // LOITER
    const p = offsetDeg(drone.dock, 50, 50);
    expect((await gcs.commandInt(C.DO_REPOSITION, [-1, 0, 0, 0, p.latDeg, p.lonDeg, 15])).result).toBe(R.DENIED);
    expect((await gcs.command(C.DO_CHANGE_SPEED, [1, 5])).result).toBe(R.FAILED);
    expect((await gcs.commandInt(C.DO_REPOSITION, [-1, 1, 0, 0, p.latDeg, p.lonDeg, 15])).result).toBe(R.ACCEPTED);
    expect(d.state().mode).toBe('GUIDED');
    expect((await gcs.commandInt(C.DO_REPOSITION, [-1, 0, 0, 0, 0, 0, 15])).result).toBe(R.DENIED); // 0,0 is no position
  });

  it('refuses a GUIDED target outside the enabled fence with a bare FAILED, as ArduCopter set_destination does', async () => {
    const { gcs, drone: d } = vehicle({ speed: 20 });
    const FENCE = common.MavMissionType.FENCE;
    const home = drone.dock;
    const square = [offsetDeg(home, -150, -150), offsetDeg(home, 150, -150), offsetDeg(home, 150, 150), offsetDeg(home, -150, 150)];
    const fence = [
      ...square.map((p, i) => missionItem(i, C.NAV_FENCE_POLYGON_VERTEX_INCLUSION, { ...p, params: [4], missionType: FENCE })),
      missionItem(4, C.NAV_FENCE_CIRCLE_EXCLUSION, { ...offsetDeg(home, 80, 0), params: [20], missionType: FENCE }),
    ];
    expect((await gcs.upload(fence, FENCE)).ack.type).toBe(common.MavMissionResult.ACCEPTED);
    await armAndTakeoff(gcs, 10);
    const before = gcs.texts().length;
    const outside = offsetDeg(home, 300, 0);
    const inExclusion = offsetDeg(home, 80, 5);
    const inside = offsetDeg(home, -60, 40);
    expect((await gcs.commandInt(C.DO_REPOSITION, [-1, 0, 0, 0, outside.latDeg, outside.lonDeg, 15])).result).toBe(R.FAILED);
    expect((await gcs.commandInt(C.DO_REPOSITION, [-1, 0, 0, 0, inExclusion.latDeg, inExclusion.lonDeg, 15])).result).toBe(R.FAILED);
    // Checked before the mode change: from LOITER with the change-mode flag it stays in LOITER.
    await gcs.command(C.DO_SET_MODE, [1, 5]);
    expect((await gcs.commandInt(C.DO_REPOSITION, [-1, 1, 0, 0, outside.latDeg, outside.lonDeg, 15])).result).toBe(R.FAILED);
    expect(d.state().mode).toBe('LOITER');
    expect((await gcs.commandInt(C.DO_REPOSITION, [-1, 1, 0, 0, inside.latDeg, inside.lonDeg, 15])).result).toBe(R.ACCEPTED);
    expect(d.state().mode).toBe('GUIDED');
    await gcs.command(C.SET_MESSAGE_INTERVAL, [common.PositionTargetGlobalInt.MSG_ID, 200_000]);
    const insideLat = Math.round(inside.latDeg * 1e7);
    await gcs.next(common.PositionTargetGlobalInt, (p) => p.latInt === insideLat);
    // SET_POSITION_TARGET_GLOBAL_INT outside: dropped (no ack exists), the previous target stays.
    const sp = new common.SetPositionTargetGlobalInt();
    sp.targetSystem = d.systemId;
    sp.targetComponent = 1;
    sp.coordinateFrame = common.MavFrame.GLOBAL_RELATIVE_ALT_INT;
    sp.typeMask = 0b0000_1111_1111_1000 as common.PositionTargetTypemask;
    sp.latInt = Math.round(outside.latDeg * 1e7);
    sp.lonInt = Math.round(outside.lonDeg * 1e7);
    sp.alt = 15;
    gcs.send(sp);
    // Two target reports after the send: both still name the inside point.
    for (let i = 0; i < 2; i++) expect((await gcs.next(common.PositionTargetGlobalInt, () => true)).latInt).toBe(insideLat);
    // Bare FAILED: ArduCopter says nothing about it.
    expect(gcs.texts().slice(before).filter((t) => /fence/i.test(t))).toEqual([]);
    // With the fence disabled the same target is taken.
    expect((await gcs.command(C.DO_FENCE_ENABLE, [0])).result).toBe(R.ACCEPTED);
    expect((await gcs.commandInt(C.DO_REPOSITION, [-1, 0, 0, 0, outside.latDeg, outside.lonDeg, 15])).result).toBe(R.ACCEPTED);
  });

  it('refuses a disarm in flight unless forced; RTL comes home, lands and disarms; LAND lands', async () => {
    const { gcs, drone: d } = vehicle({ speed: 60 });
    await armAndTakeoff(gcs, 12);
    expect((await gcs.command(C.COMPONENT_ARM_DISARM, [0])).result).toBe(R.FAILED);
    const p = offsetDeg(drone.dock, 60, 0);
    await gcs.commandInt(C.DO_REPOSITION, [-1, 0, 0, 0, p.latDeg, p.lonDeg, 12]);
    await gcs.command(C.SET_MESSAGE_INTERVAL, [common.GlobalPositionInt.MSG_ID, 200_000]);
    await gcs.next(common.GlobalPositionInt, (g) => Math.abs(g.lat - p.latDeg * 1e7) < 100, 15_000);
    expect((await gcs.command(C.NAV_RETURN_TO_LAUNCH)).result).toBe(R.ACCEPTED);
    // Copter RTL climbs to RTL_ALT (15 m) before it returns.
    await gcs.next(common.GlobalPositionInt, (g) => g.relativeAlt > 14_500, 15_000);
    await gcs.next(minimal.Heartbeat, (h) => h.customMode === 6 && (h.baseMode & minimal.MavModeFlag.SAFETY_ARMED) === 0, 20_000);
    const s = d.state();
    expect(Math.abs(s.latDeg - drone.dock.latDeg) * 111_320).toBeLessThan(3);
    expect(s.altRelM).toBeLessThan(0.2);

    await armAndTakeoff(gcs, 10);
    expect((await gcs.command(C.NAV_LAND)).result).toBe(R.ACCEPTED);
    await gcs.next(minimal.Heartbeat, (h) => h.customMode === 9 && (h.baseMode & minimal.MavModeFlag.SAFETY_ARMED) === 0, 20_000);
  });

  it('force-arms past the checks with param2 21196 and force-disarms in flight', async () => {
    const { gcs, drone: d } = vehicle({ prearmDelayS: 1000, speed: 20 });
    await gcs.command(C.DO_SET_MODE, [1, GUIDED]);
    expect((await gcs.command(C.COMPONENT_ARM_DISARM, [1])).result).toBe(R.FAILED);
    expect((await gcs.command(C.COMPONENT_ARM_DISARM, [1, 21196])).result).toBe(R.ACCEPTED);
    expect((await gcs.command(C.NAV_TAKEOFF, [0, 0, 0, 0, 0, 0, 8])).result).toBe(R.ACCEPTED);
    await gcs.command(C.SET_MESSAGE_INTERVAL, [common.GlobalPositionInt.MSG_ID, 200_000]);
    await gcs.next(common.GlobalPositionInt, (g) => g.relativeAlt > 7000, 10_000);
    expect((await gcs.command(C.COMPONENT_ARM_DISARM, [0])).result).toBe(R.FAILED);
    expect((await gcs.command(C.COMPONENT_ARM_DISARM, [0, 21196])).result).toBe(R.ACCEPTED);
    expect(d.state().armed).toBe(false);
    await gcs.next(common.GlobalPositionInt, (g) => g.relativeAlt < 100, 10_000); // it comes down unpowered
  });

  it('answers UNSUPPORTED, TEMPORARILY_REJECTED, home and capability requests as Copter', async () => {
    const { gcs } = vehicle();
    expect((await gcs.command(C.DO_SET_SERVO, [9, 1500])).result).toBe(R.UNSUPPORTED);
    const home = gcs.next(common.HomePosition);
    expect((await gcs.command(C.GET_HOME_POSITION)).result).toBe(R.ACCEPTED);
    expect((await home).latitude).toBe(Math.round(drone.dock.latDeg * 1e7));
    const ver = gcs.next(common.CommandAck, (a) => a.command === C.REQUEST_MESSAGE);
    gcs.send(commandLong(drone.mavlink.systemId, C.REQUEST_MESSAGE, [148]));
    expect((await ver).result).toBe(R.ACCEPTED);
    await gcs.command(C.DO_SET_MODE, [1, GUIDED]);
    await gcs.command(C.COMPONENT_ARM_DISARM, [1]);
    expect((await gcs.command(C.PREFLIGHT_REBOOT_SHUTDOWN, [1])).result).toBe(R.TEMPORARILY_REJECTED);
    expect((await gcs.command(C.PREFLIGHT_REBOOT_SHUTDOWN, [2])).result).toBe(R.TEMPORARILY_REJECTED);
    expect((await gcs.command(C.PREFLIGHT_CALIBRATION, [1])).result).toBe(R.TEMPORARILY_REJECTED);
  });

  it('reboots when disarmed: silent, boot banner, time_boot_ms restarts, streams/mode/arming window forgotten, mission kept', async () => {
    const { gcs } = vehicle({ speed: 10, prearmDelayS: 5 });
    const items = [missionItem(0, C.NAV_WAYPOINT, { ...drone.dock }), missionItem(1, C.NAV_TAKEOFF, { alt: 10 })];
    expect((await gcs.upload(items)).ack.type).toBe(common.MavMissionResult.ACCEPTED);
    await gcs.command(C.SET_MESSAGE_INTERVAL, [common.GlobalPositionInt.MSG_ID, 200_000]);
    const before = await gcs.next(common.GlobalPositionInt, (g) => g.timeBootMs > 8000, 5000);
    await gcs.command(C.DO_SET_MODE, [1, GUIDED]);
    const banner = gcs.next(common.StatusText, (t) => t.text.startsWith('ArduCopter V4'), 3000);
    expect((await gcs.command(C.PREFLIGHT_REBOOT_SHUTDOWN, [1])).result).toBe(R.ACCEPTED);
    const t0 = performance.now();
    await banner;
    expect(performance.now() - t0).toBeGreaterThan(250); // 3 s of simulated silence at speed 10
    expect((await gcs.next(minimal.Heartbeat)).customMode).toBe(0); // STABILIZE again
    const heard = gcs.received.length;
    await gcs.next(minimal.Heartbeat);
    expect(gcs.received.slice(heard).some((m) => m.msgid === common.GlobalPositionInt.MSG_ID)).toBe(false);
    await gcs.command(C.SET_MESSAGE_INTERVAL, [common.GlobalPositionInt.MSG_ID, 200_000]);
    expect((await gcs.next(common.GlobalPositionInt)).timeBootMs).toBeLessThan(before.timeBootMs);
    await gcs.command(C.DO_SET_MODE, [1, GUIDED]);
    expect((await gcs.command(C.COMPONENT_ARM_DISARM, [1])).result).toBe(R.FAILED); // position estimate again
    expect((await gcs.download(0)).length).toBe(2);
  });

  it('takes the non-position commands over COMMAND_INT too (arm, RTL), acked under their own ids', async () => {
    const { gcs, drone: d } = vehicle();
    const viaInt = (command: number, params: number[]) => {
      const ci = new common.CommandInt();
      ci.targetSystem = d.systemId;
      ci.targetComponent = 1;
      ci.frame = common.MavFrame.GLOBAL_RELATIVE_ALT_INT;
      ci.command = command;
      [ci._param1, ci._param2, ci._param3, ci._param4] = [params[0] ?? 0, params[1] ?? 0, params[2] ?? 0, params[3] ?? 0];
      const ack = gcs.next(common.CommandAck, (a) => a.command === command);
      gcs.send(ci);
      return ack;
    };
    expect((await viaInt(C.DO_SET_MODE, [1, GUIDED])).result).toBe(R.ACCEPTED);
    expect((await viaInt(C.COMPONENT_ARM_DISARM, [1])).result).toBe(R.ACCEPTED);
    expect(d.state().armed).toBe(true);
    expect((await viaInt(C.DO_SET_SERVO, [9, 1500])).result).toBe(R.UNSUPPORTED);
  });

  it('ignores commands addressed to another system', async () => {
    const { gcs } = vehicle();
    const ack = gcs.next(common.CommandAck, undefined, 400).then(() => 'acked', () => 'silent');
    gcs.send(commandLong(drone.mavlink.systemId + 1, C.COMPONENT_ARM_DISARM, [1]));
    expect(await ack).toBe('silent');
  });

  it('serves UDP and several SITL-style TCP clients on port 0, each with its own streams', async () => {
    fleet = await startSimDrones({ count: 1, tcp: true, speed: 5 });
    const d = fleet.drones[0]!;
    expect(d.udpPort).toBeGreaterThan(0);
    expect(d.tcpPort).toBeGreaterThan(0);
    const { ReconnectingTcpDuplex } = await import('../../mavlink/transports/tcp.ts');
    const { MavlinkLink } = await import('../../mavlink/link.ts');
    const t1 = new TestGcs(new MavlinkLink(new ReconnectingTcpDuplex({ host: '127.0.0.1', port: d.tcpPort! }), { systemId: 255, componentId: 190 }), d.systemId);
    const t2 = new TestGcs(new MavlinkLink(new ReconnectingTcpDuplex({ host: '127.0.0.1', port: d.tcpPort! }), { systemId: 254, componentId: 190 }), d.systemId);
    vehicle.adopt({ gcs: t1, drone: d }, { gcs: t2, drone: d });
    await Promise.all([t1.next(minimal.Heartbeat), t2.next(minimal.Heartbeat)]);
    expect((await t1.command(C.SET_MESSAGE_INTERVAL, [common.VfrHud.MSG_ID, 100_000])).result).toBe(R.ACCEPTED);
    await t1.next(common.VfrHud);
    await t2.next(minimal.Heartbeat);
    expect(t2.received.some((m) => m.msgid === common.VfrHud.MSG_ID)).toBe(false);
  });
});
