import { describe, expect, it } from 'vitest';
import { fenceExclusionCircle, fencePolygon, rallyPoint, waypoint, type PlanItem } from '../../control/vehicle/plan-item.ts';
import { useOnlineRig, waitFor, type RigOptions } from './helpers/rig.ts';

const startOnlineRig = useOnlineRig();

const ready = (opts: RigOptions = {}) => startOnlineRig(opts);

const patrol = (n: number): PlanItem[] =>
  Array.from({ length: n }, (_, i) => waypoint({ latDeg: 30.2705 + (i % 10) * 2e-4, lonDeg: 120.0645 + Math.floor(i / 10) * 2e-4, altRelM: 40 + (i % 7) }));

const fence = [
  ...fencePolygon([
    { latDeg: 30.262, lonDeg: 120.056 },
    { latDeg: 30.278, lonDeg: 120.056 },
    { latDeg: 30.278, lonDeg: 120.074 },
    { latDeg: 30.262, lonDeg: 120.074 },
  ]),
  fenceExclusionCircle({ latDeg: 30.2735, lonDeg: 120.0685 }, 60),
];
const rally = [rallyPoint({ latDeg: 30.2707, lonDeg: 120.0652, altRelM: 25 }), rallyPoint({ latDeg: 30.2693, lonDeg: 120.0648, altRelM: 25 })];

describe('mission, fence and rally transfer with the simulated Copter', () => {
  it('uploads and reads back all three plan types with 20% packet loss both ways', async () => {
    // Loss tolerance is under test here, not timing: on a loaded CI machine a stalled event
    // loop must not let the vehicle abandon the upload (800 ms real at 10x) or us give up.
    const { v, sim } = await ready({ sim: { missionTimeouts: { uploadTimeoutMs: 60_000 } }, timeouts: { linkLostMs: 5000, missionRetries: 20 } });
    sim.injectFault({ kind: 'packet_loss', pct: 20 });
    const m = await v.mission.upload(patrol(30));
    expect(m, JSON.stringify(m)).toMatchObject({ status: 'success', verified: true });
    expect(m.resends).toBeGreaterThan(0);
    const f = await v.geofence.upload(fence);
    expect(f, JSON.stringify(f)).toMatchObject({ status: 'success', verified: true });
    const r = await v.rally.upload(rally);
    expect(r, JSON.stringify(r)).toMatchObject({ status: 'success', verified: true });
    sim.clearFaults();
    const back = await v.mission.download();
    expect(back.items).toHaveLength(30); // home (item 0) stripped
  });

  it('works with a vehicle that asks with legacy MISSION_REQUEST', async () => {
    const { v } = await ready({ sim: { missionRequestStyle: 'legacy' } });
    const r = await v.mission.upload(patrol(12));
    expect(r).toMatchObject({ status: 'success', verified: true, legacyRequests: true });
    expect(await v.geofence.upload(fence)).toMatchObject({ status: 'success', verified: true, legacyRequests: true });
  });

  it('reports a rejection per plan type and leaves the others alone', async () => {
    const { v, sim } = await ready();
    sim.injectFault({ kind: 'mission_reject', result: 'denied', missionType: 'fence' });
    expect(await v.geofence.upload(fence)).toMatchObject({ status: 'denied', verified: false });
    expect(await v.rally.upload(rally)).toMatchObject({ status: 'success', verified: true });
  });

  it('flies the verified mission after MISSION_START', async () => {
    const { v, sim } = await ready();
    const items = [waypoint({ latDeg: 30.2712, lonDeg: 120.0651, altRelM: 20 }), waypoint({ latDeg: 30.2716, lonDeg: 120.0655, altRelM: 20 })];
    const takeoff: PlanItem = { ...waypoint({ latDeg: 0, lonDeg: 0, altRelM: 20 }), command: 22, x: 0, y: 0 };
    expect((await v.mission.upload([takeoff, ...items])).verified).toBe(true);
    expect((await v.action.setMode('GUIDED')).status).toBe('success');
    expect((await v.action.arm()).status).toBe('success');
    const reached: number[] = [];
    v.on('mission_item_reached', (s) => reached.push(s));
    expect((await v.action.startMission()).status).toBe('success');
    await waitFor(() => reached.length > 0, 15_000, 'a mission item reached');
    expect(sim.state().mode).toBe('AUTO');
  });
});
