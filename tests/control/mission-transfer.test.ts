import { describe, expect, it } from 'vitest';
import { common } from 'node-mavlink';
import { GroundLink } from '../../control/mavlink/ground-link.ts';
import { FAST_TIMEOUTS, systemClock } from '../../control/timeouts.ts';
import { fenceExclusionCircle, fencePolygon, rallyPoint, waypoint, type PlanItem } from '../../control/vehicle/plan-item.ts';
import { duplexPair, StubVehicle } from './helpers/stub-vehicle.ts';
import { useStubPairs } from './helpers/stub-pair.ts';

const timeouts = { ...FAST_TIMEOUTS, missionAckMs: 120, missionItemMs: 40, missionRetries: 10 };

const openPair = useStubPairs();
const pair = (seed = 1) => openPair({ timeouts, seed });

function patrol(n: number): PlanItem[] {
  return Array.from({ length: n }, (_, i) => waypoint({ latDeg: 30.27 + i * 1e-4, lonDeg: 120.065 - i * 1e-4, altRelM: 40 + (i % 5), holdS: i % 3 }));
}

describe('mission transfer state machine over an in-memory duplex pair', () => {
  it('uploads a mission with a home placeholder at item 0 and verifies it by read-back', async () => {
    const { v, stub } = await pair();
    const items = patrol(25);
    const r = await v.mission.upload(items);
    expect(r).toMatchObject({ status: 'success', verified: true, resends: 0, legacyRequests: false });
    const stored = stub.store.get(common.MavMissionType.MISSION)!;
    expect(stored).toHaveLength(26); // ArduPilot: item 0 is home
    expect(stored[1]!.x).toBe(items[0]!.x);
    expect(v.mission.verified).toBe(true);
    const down = await v.mission.download();
    expect(down.status).toBe('success');
    expect(down.items).toHaveLength(25);
    expect(down.items![24]!.z).toBeCloseTo(items[24]!.z);
  });

  it('completes upload and read-back with 20% packet loss each way', async () => {
    const { v, stub } = await pair(7);
    stub.lossPct = 20;
    const r = await v.mission.upload(patrol(40));
    expect(r.status).toBe('success');
    expect(r.verified).toBe(true);
    expect(r.resends).toBeGreaterThan(0);
  });

  it('answers a vehicle that asks with legacy MISSION_REQUEST with MISSION_ITEM_INT', async () => {
    const { v, stub } = await pair(3);
    stub.legacy = true;
    const items = patrol(10);
    const r = await v.mission.upload(items);
    expect(r).toMatchObject({ status: 'success', verified: true, legacyRequests: true });
    expect(stub.store.get(0)![3]).toBeInstanceOf(common.MissionItemInt);
  });

  it('uploads fence and rally plans (no home item) with 20% loss', async () => {
    const { v, stub } = await pair(11);
    stub.lossPct = 20;
    const fence = [
      ...fencePolygon([
        { latDeg: 30.26, lonDeg: 120.05 },
        { latDeg: 30.28, lonDeg: 120.05 },
        { latDeg: 30.28, lonDeg: 120.08 },
        { latDeg: 30.26, lonDeg: 120.08 },
      ]),
      fenceExclusionCircle({ latDeg: 30.27, lonDeg: 120.06 }, 80),
    ];
    const f = await v.geofence.upload(fence);
    expect(f).toMatchObject({ status: 'success', verified: true });
    expect(stub.store.get(common.MavMissionType.FENCE)).toHaveLength(5);
    const rally = await v.rally.upload([rallyPoint({ latDeg: 30.2705, lonDeg: 120.065, altRelM: 30 })]);
    expect(rally).toMatchObject({ status: 'success', verified: true });
    expect(stub.store.get(common.MavMissionType.RALLY)).toHaveLength(1);
    // The mission store was not touched by the other types.
    expect(stub.store.has(common.MavMissionType.MISSION)).toBe(false);
  });

  it('reports the vehicle refusal by its MAV_MISSION_RESULT', async () => {
    const { v, stub } = await pair();
    stub.rejectWith = common.MavMissionResult.NO_SPACE;
    const r = await v.mission.upload(patrol(5));
    expect(r).toMatchObject({ status: 'no_space', verified: false });
    expect(v.mission.verified).toBe(false);
  });

  it('gives up after the retry budget when the vehicle is silent', async () => {
    const { v, stub } = await pair();
    stub.silent = true;
    const t0 = Date.now();
    const r = await v.mission.upload(patrol(5));
    expect(r.status).toBe('ack_timeout');
    // 1 send + 10 resends of 120 ms each, then no more
    expect(Date.now() - t0).toBeGreaterThanOrEqual(11 * 120 - 20);
    expect(Date.now() - t0).toBeLessThan(11 * 120 + 1500);
  });

  it('cancels a transfer in flight and tells the vehicle', async () => {
    const { v, stub } = await pair();
    stub.silent = true;
    const ac = new AbortController();
    const p = v.mission.upload(patrol(5), { signal: ac.signal });
    setTimeout(() => ac.abort(), 30);
    expect((await p).status).toBe('cancelled');
  });

  it('runs transfers one at a time on a vehicle', async () => {
    const { v } = await pair();
    const [a, b] = await Promise.all([v.mission.upload(patrol(8)), v.geofence.upload(fencePolygon([
      { latDeg: 30.26, lonDeg: 120.05 },
      { latDeg: 30.28, lonDeg: 120.05 },
      { latDeg: 30.28, lonDeg: 120.08 },
    ]))]);
    expect(a.status).toBe('success');
    expect(b.status).toBe('success');
  });

  it('counts and ignores a vehicle whose system id the site does not list', async () => {
    const [a, b] = duplexPair();
    const gl = new GroundLink(a, { endpointUrl: 'test://pair', vehicles: [{ droneId: 'drone-1', systemId: 1 }], timeouts, clock: systemClock });
    const stranger = new StubVehicle(b, 42);
    openPair.adopt({ gl, stub: stranger });
    await new Promise((r) => setTimeout(r, 250));
    expect(gl.counters.unknownSystem).toBeGreaterThan(0);
    expect([...gl.counters.unknownSystemIds]).toEqual([42]);
    expect(gl.vehicles.get(1)!.online).toBe(false);
  });

  it('counts corrupted frames and keeps the link', async () => {
    const [a, b] = duplexPair();
    const gl = new GroundLink(a, { endpointUrl: 'test://pair', vehicles: [{ droneId: 'drone-1', systemId: 1 }], timeouts, clock: systemClock });
    const stub = new StubVehicle(b, 1);
    openPair.adopt({ gl, stub });
    b.write(Buffer.from([0xfd, 9, 0, 0, 0, 1, 1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xde, 0xad]));
    const v = gl.vehicles.get(1)!;
    await new Promise<void>((r) => v.once('online', () => r()));
    expect(gl.badFrames).toBeGreaterThan(0);
  });

  it('recovers a lost request from the vehicle’s INVALID_SEQUENCE answer, even for the last item', async () => {
    const { v, stub } = await pair();
    stub.requestResendMs = 5000; // the vehicle's own re-request would come far too late
    stub.loseRequestFor.add(2); // the request for the last item: our guess delivers it
    const t0 = Date.now();
    const r = await v.mission.upload(patrol(2)); // wire items: home, 1, 2
    expect(r).toMatchObject({ status: 'success', verified: true });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(stub.store.get(common.MavMissionType.MISSION)).toHaveLength(3);
  });
});
