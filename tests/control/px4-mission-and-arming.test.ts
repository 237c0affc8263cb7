/**
 * Issue 17 field findings 1 and 3 against the simulator as PX4 (which reproduces PX4 SITL):
 * a mission PX4 stores but will not fly (its fence check) fails the upload with PX4's
 * reason instead of an arm followed by a DENIED MISSION_START; and arming on the ground in
 * a mode PX4 cannot arm in fails at once once the vehicle has been seen ready, while the
 * same words during the boot are retried.
 */
import { describe, expect, it } from 'vitest';
import { common } from 'node-mavlink';
import { classifyArmRefusal } from '../../control/vehicle/arming-readiness.ts';
import { fenceExclusionCircle, fencePolygon, waypoint, type PlanItem } from '../../control/vehicle/plan-item.ts';
import { offsetDeg } from '../helpers/sim-drone.ts';
import { useOnlineRig, waitFor, type RigOptions } from './helpers/rig.ts';

const startOnlineRig = useOnlineRig();

async function px4(sim: NonNullable<RigOptions['sim']> = {}) {
  const { rig, v, sim: handle } = await startOnlineRig({ sim: { autopilot: 'px4', ...sim } }, (x) => x.autopilot === 'px4');
  return { v, sim: handle, dock: rig.drones[0]!.dock };
}

/** A circle before a polygon: PX4 reads the polygon's later vertices as a zone through (0, 300 m). */
function fence(dock: { latDeg: number; lonDeg: number }, circlesLast: boolean): PlanItem[] {
  const at = (n: number, e: number) => offsetDeg(dock, n, e);
  const inclusion = fencePolygon([at(-1500, -1500), at(-1500, 1500), at(1500, 1500), at(1500, -1500)], true);
  const square = fencePolygon([at(550, 250), at(550, 350), at(650, 350), at(650, 250)], false);
  const a = fenceExclusionCircle(at(-300, -300), 50);
  const b = fenceExclusionCircle(at(-600, 300), 50);
  return circlesLast ? [...inclusion, ...square, a, b] : [...inclusion, a, ...square, b];
}

function mission(dock: { latDeg: number; lonDeg: number }): PlanItem[] {
  const takeoff: PlanItem = { ...waypoint({ ...dock, altRelM: 30 }), command: common.MavCmd.NAV_TAKEOFF };
  return [takeoff, waypoint({ ...offsetDeg(dock, 0, 300), altRelM: 30 })];
}

describe('PX4: the mission is valid before anything arms', () => {
  it("fails the upload with PX4's reason when PX4 keeps the mission as no valid mission", async () => {
    const { v, dock } = await px4();
    expect(await v.geofence.upload(fence(dock, false))).toMatchObject({ status: 'success', verified: true });
    const r = await v.mission.upload(mission(dock));
    expect(r.status, JSON.stringify(r)).toBe('invalid');
    expect(r.message).toMatch(/Geofence violation for waypoint 2/);
    expect(v.mission.verified).toBe(false);
  });

  it("gives a MISSION_START refused for no valid mission PX4's reason, not the arm's 'Armed by external command' sent just before", async () => {
    // Field run (issue 17, finding 2): the ledger gave "Armed by external command" as the
    // reason MISSION_START was denied. The upload now refuses such a mission; started anyway:
    const { v, dock } = await px4();
    await v.geofence.upload(fence(dock, false));
    expect((await v.mission.upload(mission(dock))).status).toBe('invalid');
    expect((await v.action.arm()).status).toBe('success');
    // ringwatch no longer starts an unverified mission: send the command as a field run did.
    const r = await v.commands.send({ command: common.MavCmd.MISSION_START, params: [0, 0, 0, 0, 0, 0, 0] });
    expect(r.status).toBe('denied');
    expect(r.message).toBe('Mission start denied! No valid mission');
  });

  it('succeeds once MISSION_CURRENT says the mission is valid (polygons before circles)', async () => {
    const { v, dock } = await px4();
    expect((await v.geofence.upload(fence(dock, true))).status).toBe('success');
    const r = await v.mission.upload(mission(dock));
    expect(r, JSON.stringify(r)).toMatchObject({ status: 'success', verified: true });
    expect(v.telemetryState.missionCurrent?.state).toBe(common.MissionState.NOT_STARTED);
  });
});

describe('PX4: arming refusals by state', () => {
  it('fails at once on the ground in RTL once the vehicle has been seen ready', async () => {
    const { v } = await px4();
    await waitFor(() => v.telemetryState.readySeen === true, 10_000, 'SYS_STATUS pre-arm check passed');
    expect((await v.action.setMode('RTL')).status).toBe('success');
    await waitFor(() => v.telemetry()?.mode === 'AUTO.RTL', 5000, 'AUTO.RTL reported');
    const t0 = Date.now();
    const r = await v.action.arm();
    expect(r.status).toBe('temporarily_rejected');
    expect(r.message).toMatch(/^Arming denied: Resolve system health failures first \(AUTO\.RTL is not a mode PX4 arms in\)$/);
    // One refusal, no retries to the budget (FAST_TIMEOUTS: 5 s, every 200 ms).
    expect(r.attempts).toBeLessThanOrEqual(2);
    expect(Date.now() - t0).toBeLessThan(4000);
  });

  it('fails at once when the arm follows the switch to RTL before a heartbeat reports it (field run)', async () => {
    // PX4 SITL: set_mode RTL acked, the arm sent at once was refused while the 1 Hz
    // HEARTBEAT still said Hold, and the refusal was retried as a boot-time one. At speed 1
    // the sim's heartbeat is 1 Hz of wall time too.
    const { v } = await px4({ speed: 1 });
    await waitFor(() => v.telemetryState.readySeen === true, 10_000, 'SYS_STATUS pre-arm check passed');
    expect((await v.action.setMode('RTL')).status).toBe('success');
    const r = await v.action.arm();
    expect(r.status).toBe('temporarily_rejected');
    expect(r.attempts).toBeLessThanOrEqual(2);
    expect(r.message).toMatch(/AUTO\.RTL is not a mode PX4 arms in/);
  });

  it('classifies the same PX4 text by state: transient in the boot, permanent in a non-armable mode once ready', () => {
    const r = { status: 'temporarily_rejected' as const, message: 'Arming denied: Resolve system health failures first' };
    expect(classifyArmRefusal(r, { autopilot: 'px4', mode: 'AUTO.LOITER', readySeen: false })).toBe('transient');
    expect(classifyArmRefusal(r, { autopilot: 'px4', mode: 'AUTO.RTL', readySeen: false })).toBe('transient');
    expect(classifyArmRefusal(r, { autopilot: 'px4', mode: 'AUTO.LOITER', readySeen: true })).toBe('transient');
    expect(classifyArmRefusal(r, { autopilot: 'px4', mode: 'AUTO.RTL', readySeen: true })).toBe('permanent');
    expect(classifyArmRefusal(r, { autopilot: 'px4', mode: 'AUTO.LAND', readySeen: true })).toBe('permanent');
    // ArduCopter says so in its own words, whatever the state.
    expect(classifyArmRefusal({ status: 'failed', message: 'Arm: RTL mode not armable' }, { autopilot: 'ardupilot', mode: 'RTL', readySeen: false })).toBe('permanent');
  });
});
