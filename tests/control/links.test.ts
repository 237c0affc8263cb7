import { afterEach, describe, expect, it } from 'vitest';
import { findFreeUdpPort } from '../../util/free-port.ts';
import { common, minimal } from 'node-mavlink';
import { UdpDuplex } from '../../mavlink/index.ts';
import { startSimDrone, type SimDroneHandle } from '../../simulators/drone/index.ts';
import { startControlService, type ControlService } from '../../control/service.ts';
import { FAST_TIMEOUTS } from '../../control/timeouts.ts';
import { waypoint } from '../../control/vehicle/plan-item.ts';
import { encodeMode } from '../../control/vehicle/modes.ts';
import { demoSite } from '../helpers/broker.ts';
import { duplexPair, StubVehicle } from './helpers/stub-vehicle.ts';
import { waitFor } from './helpers/rig.ts';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const drone = (id: string, url: string, systemId: number, autopilot?: 'ardupilot' | 'px4') => ({
  ...demoSite().site.drones[0]!,
  id,
  mavlink: { url, systemId, ...(autopilot ? { autopilot } : {}) },
});

async function service(drones: ReturnType<typeof drone>[], openStream?: Parameters<typeof startControlService>[0]['openStream']): Promise<ControlService> {
  const svc = await startControlService({ site: { drones }, timeouts: FAST_TIMEOUTS, ...(openStream ? { openStream } : {}) });
  closers.push(() => svc.close());
  return svc;
}

describe('links', () => {
  it('udp:// listens for many vehicles on one port, maps them by system id, and answers each', async () => {
    const port = await findFreeUdpPort();
    const url = `udp://127.0.0.1:${port}`;
    const svc = await service([drone('drone-1', url, 1), drone('drone-2', url, 2)]);
    expect(svc.links.size).toBe(1);
    const stubs = [];
    for (const sysid of [1, 2]) {
      const stream = await UdpDuplex.open({ bindPort: 0, remote: { host: '127.0.0.1', port } });
      const stub = new StubVehicle(stream, sysid);
      stub.commandReplies.set(common.MavCmd.NAV_RETURN_TO_LAUNCH, [{ result: common.MavResult.ACCEPTED }]);
      closers.push(() => stub.close());
      stubs.push(stub);
    }
    const [v1, v2] = [svc.vehicle('drone-1'), svc.vehicle('drone-2')];
    await waitFor(() => v1.online && v2.online, 3000, 'both online');
    expect((await v2.action.rtl()).status).toBe('success');
    const rtl = (m: unknown) => m instanceof common.CommandLong && m.command === common.MavCmd.NAV_RETURN_TO_LAUNCH;
    expect(stubs[1]!.received.filter(rtl)).toHaveLength(1);
    expect(stubs[0]!.received.filter(rtl)).toHaveLength(0);
  });

  it('tcp:// dials a SITL-style TCP endpoint', async () => {
    const site = demoSite().site;
    const sim: SimDroneHandle = await startSimDrone({ drone: site.drones[2]!, tcpPort: 0, speed: 10, prearmDelayS: 0 });
    closers.push(() => sim.close());
    const svc = await service([drone('drone-3', `tcp://127.0.0.1:${sim.tcpPort}`, site.drones[2]!.mavlink.systemId)]);
    const v = svc.vehicle('drone-3');
    await waitFor(() => v.online && v.telemetry() !== undefined, 5000, 'online over TCP');
    expect((await v.action.setMode('LOITER')).status).toBe('success');
    expect(sim.state().mode).toBe('LOITER');
  });

  it('falls back to REQUEST_DATA_STREAM when SET_MESSAGE_INTERVAL gets no answer', async () => {
    const [a, b] = duplexPair();
    const svc = await service([drone('drone-1', 'udp://127.0.0.1:1', 1)], async () => a);
    const stub = new StubVehicle(b, 1);
    closers.push(() => stub.close());
    const v = svc.vehicle('drone-1');
    await waitFor(() => v.streams.method === 'data_stream', 3000, 'fallback');
    const streams = stub.received.filter((m): m is common.RequestDataStream => m instanceof common.RequestDataStream).map((m) => m.reqStreamId);
    expect(streams.sort()).toEqual([common.MavDataStream.EXTENDED_STATUS, common.MavDataStream.POSITION, common.MavDataStream.EXTRA2].sort());
    // The first SET_MESSAGE_INTERVAL, resent with COMMAND_LONG.confirmation 0, 1, 2, 3, then given up.
    const sends = stub.received.filter((m): m is common.CommandLong => m instanceof common.CommandLong && m.command === common.MavCmd.SET_MESSAGE_INTERVAL);
    expect(sends.map((m) => m.confirmation)).toEqual([0, 1, 2, 3].slice(0, 1 + FAST_TIMEOUTS.commandRetries));
    expect(sends.every((m) => m._param1 === common.GlobalPositionInt.MSG_ID && m._param2 === 250_000)).toBe(true);
  });

  it('follows IN_PROGRESS to the final ack in the ledger', async () => {
    const [a, b] = duplexPair();
    const svc = await service([drone('drone-1', 'udp://127.0.0.1:1', 1)], async () => a);
    const stub = new StubVehicle(b, 1);
    closers.push(() => stub.close());
    stub.commandReplies.set(common.MavCmd.NAV_TAKEOFF, [
      { result: common.MavResult.IN_PROGRESS, progress: 40, afterMs: 60 },
      { result: common.MavResult.IN_PROGRESS, progress: 255, afterMs: 400 },
      // Far past the 150 ms ack timeout: only IN_PROGRESS keeps the command from being resent.
      { result: common.MavResult.ACCEPTED, afterMs: 800 },
    ]);
    // Already at 30 m: a take-off succeeds only at altitude, which is not what this tests.
    stub.armed = true;
    stub.state.relAltM = 30;
    stub.streamTelemetry();
    await waitFor(() => svc.vehicle('drone-1').online && svc.vehicle('drone-1').telemetryState.relAltMm === 30_000, 2000, 'online at 30 m');
    const rec = await svc.drones.issue('drone-1', { action: 'takeoff', altitudeRelM: 30 }, 'op').done;
    expect(rec.transitions.map((t) => t.state)).toEqual(['queued', 'sent', 'acked', 'in_progress', 'in_progress', 'succeeded']);
    expect(rec.transitions[3]!.progressPct).toBe(40);
    expect(rec.transitions[4]!.progressPct).toBeUndefined();
    expect(stub.received.filter((m) => m instanceof common.CommandLong && m.command === common.MavCmd.NAV_TAKEOFF)).toHaveLength(1);
  });

  it('speaks PX4: main/sub custom modes and no home item in the mission', async () => {
    const [a, b] = duplexPair();
    const svc = await service([drone('drone-1', 'udp://127.0.0.1:1', 1, 'px4')], async () => a);
    const stub = new StubVehicle(b, 1);
    closers.push(() => stub.close());
    stub.autopilot = minimal.MavAutopilot.PX4;
    stub.customMode = encodeMode('px4', 'AUTO.LOITER')!.customMode;
    stub.commandReplies.set(common.MavCmd.DO_SET_MODE, [{ result: common.MavResult.ACCEPTED }]);
    const v = svc.vehicle('drone-1');
    await waitFor(() => v.online, 2000, 'online');
    expect(v.autopilot).toBe('px4');
    expect(v.telemetryState.customMode).toBe(stub.customMode);
    expect((await v.action.setMode('RTL')).status).toBe('success');
    const setMode = stub.received.find((m): m is common.CommandLong => m instanceof common.CommandLong && m.command === common.MavCmd.DO_SET_MODE)!;
    expect([setMode._param1, setMode._param2, setMode._param3]).toEqual([minimal.MavModeFlag.CUSTOM_MODE_ENABLED, 4, 5]);
    const up = await v.mission.upload([waypoint({ latDeg: 47.39, lonDeg: 8.54, altRelM: 30 })]);
    expect(up).toMatchObject({ status: 'success', verified: true });
    expect(stub.store.get(common.MavMissionType.MISSION)).toHaveLength(1);
  });

  it('go-to falls back to GUIDED + SET_POSITION_TARGET_GLOBAL_INT and succeeds only on the vehicle’s confirmation', async () => {
    const [a, b] = duplexPair();
    const svc = await service([drone('drone-1', 'udp://127.0.0.1:1', 1)], async () => a);
    const stub = new StubVehicle(b, 1);
    closers.push(() => stub.close());
    stub.commandReplies.set(common.MavCmd.DO_REPOSITION, [{ result: common.MavResult.UNSUPPORTED }]);
    stub.commandReplies.set(common.MavCmd.DO_SET_MODE, [{ result: common.MavResult.ACCEPTED }]);
    const v = svc.vehicle('drone-1');
    // Armed and hovering at 30 m (a go-to on a disarmed drone is refused before sending).
    stub.armed = true;
    stub.state.relAltM = 30;
    stub.streamTelemetry();
    await waitFor(() => v.online && v.telemetryState.relAltMm === 30_000 && v.telemetryState.armed === true, 2000, 'online, armed, at 30 m');
    // No confirmation: the vehicle never reports the target, so the go-to times out.
    const silent = await v.action.goto({ latDeg: 30.271, lonDeg: 120.066, altRelM: 30 });
    expect(silent.status).toBe('timeout');
    stub.echoPositionTarget = true;
    // A go-to is achieved on arrival (issue 14 item 3): the stub is in GUIDED at the target.
    stub.customMode = 4;
    stub.state.latE7 = 302712000;
    stub.state.lonE7 = 1200661000;
    const r = await v.action.goto({ latDeg: 30.2712, lonDeg: 120.0661, altRelM: 30 });
    expect(r.status).toBe('success');
    expect(r.message).toMatch(/^target reported by the vehicle; arrived/);
    const target = stub.received.filter((m): m is common.SetPositionTargetGlobalInt => m instanceof common.SetPositionTargetGlobalInt).at(-1)!;
    expect([target.latInt, target.lonInt, target.alt]).toEqual([302712000, 1200661000, 30]);
    expect(target.coordinateFrame).toBe(common.MavFrame.GLOBAL_RELATIVE_ALT_INT);
  });
});
