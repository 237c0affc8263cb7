import { afterEach, describe, expect, it } from 'vitest';
import { common, minimal } from 'node-mavlink';
import { demoDrones, missionItem, offsetDeg, TestGcs } from '../helpers/sim-drone.ts';
import type { SimDroneHandle, SimDroneOptions } from '../../simulators/drone/index.ts';

const C = common.MavCmd;
const R = common.MavResult;
const MR = common.MavMissionResult;
const drone = demoDrones()[0]!;
const home = drone.dock;
const RTL = 6;
const LAND = 9;
const GUIDED = 4;

describe('sim drone: failsafes and injected faults, seen from the GCS', () => {
  const open: { gcs: TestGcs; drone: SimDroneHandle }[] = [];
  afterEach(async () => {
    for (const o of open.splice(0)) {
      o.gcs.close();
      await o.drone.close();
    }
  });
  function vehicle(opts: Partial<Omit<SimDroneOptions, 'drone'>> = {}): { gcs: TestGcs; drone: SimDroneHandle } {
    const v = TestGcs.inMemory({ drone, prearmDelayS: 0, speed: 40, ...opts });
    open.push(v);
    return v;
  }
  async function airborne(gcs: TestGcs, altM = 15): Promise<void> {
    await gcs.command(C.SET_MESSAGE_INTERVAL, [common.GlobalPositionInt.MSG_ID, 200_000]);
    expect((await gcs.command(C.DO_SET_MODE, [1, GUIDED])).result).toBe(R.ACCEPTED);
    expect((await gcs.command(C.COMPONENT_ARM_DISARM, [1])).result).toBe(R.ACCEPTED);
    expect((await gcs.command(C.NAV_TAKEOFF, [0, 0, 0, 0, 0, 0, altM])).result).toBe(R.ACCEPTED);
    await gcs.next(common.GlobalPositionInt, (g) => g.relativeAlt > (altM - 1) * 1000, 10_000);
  }
  const heartbeatMode = (gcs: TestGcs, mode: number, timeoutMs = 10_000) =>
    gcs.next(minimal.Heartbeat, (h) => h.customMode === mode, timeoutMs);

  it('fence breach: ArduCopter words it as its fence type, then RTL; a GUIDED target outside the enabled fence is refused', async () => {
    const { gcs } = vehicle();
    const fence = [missionItem(0, C.NAV_FENCE_CIRCLE_INCLUSION, { ...home, params: [60], missionType: 1 })];
    expect((await gcs.upload(fence, 1)).ack.type).toBe(MR.ACCEPTED);
    expect((await gcs.command(C.DO_FENCE_ENABLE, [1])).result).toBe(R.ACCEPTED);
    const out = offsetDeg(home, 150, 0);
    const mission = [
      missionItem(0, C.NAV_WAYPOINT, { ...home, frame: common.MavFrame.GLOBAL }),
      missionItem(1, C.NAV_TAKEOFF, { alt: 15 }),
      missionItem(2, C.NAV_WAYPOINT, { ...out, alt: 15 }),
    ];
    expect((await gcs.upload(mission)).ack.type).toBe(MR.ACCEPTED);
    await airborne(gcs);
    // Real ArduCopter checks a GUIDED target against the enabled fence first: a bare FAILED.
    expect((await gcs.commandInt(C.DO_REPOSITION, [-1, 0, 0, 0, out.latDeg, out.lonDeg, 15])).result).toBe(R.FAILED);
    // A mission leg is not checked in advance: flying it breaches. An uploaded circle is
    // part of ArduCopter's polygon fence (AC_Fence::print_fence_message, NOTICE).
    const breach = gcs.next(common.StatusText, (t) => t.text.includes('fence breached'), 20_000);
    expect((await gcs.command(C.DO_SET_MODE, [1, 3])).result).toBe(R.ACCEPTED);
    const said = await breach;
    expect(said.text).toBe('Polygon fence breached');
    expect(said.severity).toBe(common.MavSeverity.NOTICE);
    await heartbeatMode(gcs, RTL);
    await gcs.next(minimal.Heartbeat, (h) => (h.baseMode & minimal.MavModeFlag.SAFETY_ARMED) === 0, 20_000);
  });

  it('low battery: warning, BATTERY_STATUS charge state LOW, and RTL', async () => {
    const { gcs } = vehicle({ initialBatteryPct: 21, lowBatteryPct: 20, speed: 40 });
    // SITL's battery loses the last point within the takeoff: listen from the start.
    const low = gcs.next(common.StatusText, (t) => t.text.startsWith('Battery 1 is low'), 15_000);
    await airborne(gcs, 10);
    await gcs.command(C.SET_MESSAGE_INTERVAL, [common.BatteryStatus.MSG_ID, 500_000]);
    await low;
    await heartbeatMode(gcs, RTL);
    const b = await gcs.next(common.BatteryStatus, (s) => s.chargeState === common.MavBatteryChargeState.LOW);
    expect(b.batteryRemaining).toBeLessThanOrEqual(20);
  });

  it('battery sag: charge drops at once and a sag below critical lands the vehicle', async () => {
    const { gcs, drone: d } = vehicle();
    await airborne(gcs, 10);
    await gcs.command(C.SET_MESSAGE_INTERVAL, [common.BatteryStatus.MSG_ID, 200_000]);
    const before = (await gcs.next(common.BatteryStatus)).batteryRemaining;
    const critical = gcs.next(common.StatusText, (t) => t.text.startsWith('Battery 1 is critical'));
    d.injectFault({ kind: 'battery_sag', pct: 92 });
    const after = await gcs.next(common.BatteryStatus, (s) => s.batteryRemaining < before - 50);
    expect(after.batteryRemaining).toBeLessThanOrEqual(before - 92 + 1);
    await critical;
    await heartbeatMode(gcs, LAND);
  });

  it('GPS loss: no fix in GPS_RAW_INT, EKF failsafe lands, arming refused until it returns', async () => {
    const { gcs, drone: d } = vehicle();
    await airborne(gcs, 10);
    await gcs.command(C.SET_MESSAGE_INTERVAL, [common.GpsRawInt.MSG_ID, 200_000]);
    const ekf = gcs.next(common.StatusText, (t) => t.text === 'EKF Failsafe: changed to LAND Mode');
    const noFix = gcs.next(common.GpsRawInt, (g) => g.fixType < 3);
    d.injectFault({ kind: 'gps_loss' });
    expect((await noFix).satellitesVisible).toBe(0);
    await ekf;
    await gcs.next(minimal.Heartbeat, (h) => h.customMode === LAND && (h.baseMode & minimal.MavModeFlag.SAFETY_ARMED) === 0, 20_000);
    expect(d.state().gpsFix).toBe(1);
    await gcs.command(C.DO_SET_MODE, [1, GUIDED]);
    expect((await gcs.command(C.COMPONENT_ARM_DISARM, [1])).result).toBe(R.FAILED);
    d.clearFaults();
    await gcs.next(common.GpsRawInt, (g) => g.fixType === 3);
    expect((await gcs.command(C.COMPONENT_ARM_DISARM, [1])).result).toBe(R.ACCEPTED);
  });

  it('link loss for N seconds: silence both ways, then the link comes back by itself', async () => {
    const { gcs, drone: d } = vehicle({ speed: 4 });
    await gcs.next(minimal.Heartbeat);
    d.injectFault({ kind: 'link_loss', durationS: 4 }); // 1 s of wall time at speed 4
    const lostAt = performance.now();
    const unanswered = gcs.command(C.GET_HOME_POSITION, [], 500).then(() => 'acked', () => 'lost');
    expect(await unanswered).toBe('lost');
    const heard = gcs.received.length;
    await gcs.next(minimal.Heartbeat, undefined, 3000);
    expect(performance.now() - lostAt).toBeGreaterThan(800);
    expect(gcs.received.length).toBe(heard + 1);
    expect((await gcs.command(C.GET_HOME_POSITION)).result).toBe(R.ACCEPTED);
  });

  it('packet loss applies both ways: about (1 - p)^2 of commands get an ack', async () => {
    const { gcs, drone: d } = vehicle({ speed: 4, seed: 42 });
    d.injectFault({ kind: 'packet_loss', pct: 50 });
    const N = 80;
    let acks = 0;
    gcs.link.on('message', (m) => {
      if (m.msgid === common.CommandAck.MSG_ID) acks++;
    });
    for (let i = 0; i < N; i++) gcs.send(commandLongHome(d.systemId));
    await gcs.next(minimal.Heartbeat, undefined, 3000).catch(() => undefined); // let the tick flush
    await gcs.next(minimal.Heartbeat, undefined, 3000).catch(() => undefined);
    expect(acks).toBeGreaterThan(N * 0.1);
    expect(acks).toBeLessThan(N * 0.45);
    d.clearFaults();
    acks = 0;
    for (let i = 0; i < N; i++) gcs.send(commandLongHome(d.systemId));
    await gcs.next(minimal.Heartbeat, undefined, 3000);
    expect(acks).toBe(N);
  });

  it('delayed acks arrive late but the command acts at once; dropped acks never arrive', async () => {
    const { gcs, drone: d } = vehicle({ speed: 10 });
    d.injectFault({ kind: 'ack_delay', delayMs: 10_000 }); // 1 s of wall time at speed 10
    const t0 = performance.now();
    const ack = gcs.command(C.DO_SET_MODE, [1, 5], 5000);
    await heartbeatMode(gcs, 5, 3000); // heartbeats every 100 ms of wall time show the new mode
    expect(performance.now() - t0).toBeLessThan(800);
    expect((await ack).result).toBe(R.ACCEPTED);
    expect(performance.now() - t0).toBeGreaterThan(950);

    d.clearFaults();
    d.injectFault({ kind: 'ack_drop' });
    const dropped = gcs.command(C.DO_SET_MODE, [1, GUIDED], 600).then(() => 'acked', () => 'dropped');
    await heartbeatMode(gcs, GUIDED, 3000);
    expect(await dropped).toBe('dropped');
  });

  it('mission upload rejection: MISSION_COUNT answered with the chosen error, other types unaffected', async () => {
    const { gcs, drone: d } = vehicle({ speed: 1 });
    d.injectFault({ kind: 'mission_reject', result: 'no_space', missionType: 'mission' });
    const items = [missionItem(0, C.NAV_WAYPOINT, { ...home }), missionItem(1, C.NAV_TAKEOFF, { alt: 10 })];
    expect((await gcs.upload(items)).ack.type).toBe(MR.NO_SPACE);
    const rally = [missionItem(0, C.NAV_RALLY_POINT, { ...home, alt: 10, missionType: 2 })];
    expect((await gcs.upload(rally, 2)).ack.type).toBe(MR.ACCEPTED);
    d.injectFault({ kind: 'mission_reject' });
    expect((await gcs.upload(rally, 2)).ack.type).toBe(MR.DENIED);
    d.clearFaults();
    expect((await gcs.upload(items)).ack.type).toBe(MR.ACCEPTED);
  });
});

function commandLongHome(sys: number): common.CommandLong {
  const c = new common.CommandLong();
  c.targetSystem = sys;
  c.targetComponent = 1;
  c.command = C.GET_HOME_POSITION;
  return c;
}
