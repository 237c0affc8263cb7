import { describe, expect, it } from 'vitest';
import { common, minimal } from 'node-mavlink';
import type { DroneCommands } from '../../control/commands/drone-commands.ts';
import type { Ledger } from '../../control/ledger/ledger.ts';
import type { Vehicle } from '../../control/vehicle/vehicle.ts';
import { fenceZones, outsideFence } from '../../control/vehicle/fence-check.ts';
import { fencePolygon } from '../../control/vehicle/plan-item.ts';
import {
  evaluateReturn,
  expectedReturnS,
  RETURN_PROFILES,
  returnBudgetMs,
  type ReturnGoal,
  type ReturnSample,
} from '../../control/vehicle/return-outcome.ts';
import type { StubVehicle } from './helpers/stub-vehicle.ts';
import { commandsFor, flyingInAuto, useStubPairs } from './helpers/stub-pair.ts';
import { eventually, until } from '../helpers/wait.ts';

/**
 * Issue 14 item 3 leftovers: land and RTL settle on what the vehicle does (landed and
 * disarmed; RTL at home), not on the autopilot's yes; a go-to FAILED by a fence the
 * vehicle enforces names that fence as the likely cause. Stub-scripted ArduCopter.
 */
const C = common.MavCmd;
const R = common.MavResult;
const GUIDED = 4;
const AUTO = 3;
const RTL = 6;
const LAND = 9;
const HOME = { latE7: 302700000, lonE7: 1200650000 };

const openPair = useStubPairs();

/** ArduCopter flying in AUTO at 30 m, ~620 m north-east of home (HOME_POSITION sent). */
async function flyingAway(): Promise<{ v: Vehicle; stub: StubVehicle; drones: DroneCommands; ledger: Ledger }> {
  const pair = await openPair({ autopilot: minimal.MavAutopilot.ARDUPILOTMEGA });
  const { v, stub } = pair;
  stub.homePosition(12);
  await until(() => v.telemetryState.homeLatE7 === HOME.latE7, 'home known', 5000, 10);
  Object.assign(stub.state, { latE7: 302740000, lonE7: 1200695000, altAmslM: 42 });
  await flyingInAuto(pair, 30);
  return { v, stub, ...commandsFor(v) };
}

/** The autopilot takes RTL/LAND: acks and reports the mode. */
function takesMode(stub: StubVehicle): void {
  stub.onCommand = (cmd, reply) => {
    if (cmd.command === C.NAV_RETURN_TO_LAUNCH) stub.customMode = RTL;
    if (cmd.command === C.NAV_LAND) stub.customMode = LAND;
    if (cmd.command === C.DO_REPOSITION) stub.customMode = GUIDED;
    stub.heartbeat();
    reply(R.ACCEPTED);
  };
}

function landAt(stub: StubVehicle, latE7: number, lonE7: number): void {
  Object.assign(stub.state, { latE7, lonE7, relAltM: 0.1, altAmslM: 12.1, vxCmps: 0, vyCmps: 0 });
  stub.armed = false;
  stub.heartbeat();
}

describe('RTL and land outcomes against a scripted ArduCopter', () => {
  it('RTL: accepted with the distance home and an ETA while under way, achieved only landed and disarmed at home', async () => {
    const { stub, drones, ledger } = await flyingAway();
    takesMode(stub);
    const cmd = drones.issue('drone-1', { action: 'rtl' }, 'op');
    const underWay = await eventually('progress home', () => ledger.get(cmd.id)?.transitions.find((t) => t.distanceLeftM !== undefined), 5000, 10);
    // The old behaviour: "rtl done" on the autopilot's ack, 600 m out and 30 m up.
    expect(ledger.get(cmd.id)!.outcome).toBe('accepted');
    expect(underWay.distanceLeftM).toBeGreaterThan(550);
    expect(underWay.etaS).toBeGreaterThan(50);
    // Over home, descending: the altitude left is what is still to go.
    Object.assign(stub.state, { latE7: HOME.latE7 + 20, lonE7: HOME.lonE7, relAltM: 12, altAmslM: 24 });
    await until(() => ledger.get(cmd.id)?.transitions.some((t) => t.distanceLeftM === 12), 'altitude left over home', 5000, 10);
    expect(ledger.get(cmd.id)!.state).toBe('in_progress');
    // Touched down but still armed: not yet.
    Object.assign(stub.state, { relAltM: 0.1, altAmslM: 12.1 });
    await new Promise((r) => setTimeout(r, 400));
    expect(ledger.get(cmd.id)!.state).toBe('in_progress');
    landAt(stub, HOME.latE7 + 20, HOME.lonE7);
    const rec = await cmd.done;
    expect(rec.state).toBe('succeeded');
    expect(rec.outcome).toBe('achieved');
    expect(rec.transitions.at(-1)!.detail).toMatch(/landed and disarmed at home/);
  }, 20_000);

  it('RTL fails when the operator switches the drone to GUIDED on the way', async () => {
    const { v, stub, drones } = await flyingAway();
    takesMode(stub);
    const cmd = drones.issue('drone-1', { action: 'rtl' }, 'op');
    await until(() => v.telemetryState.customMode === RTL, 'RTL reported', 5000, 10);
    stub.customMode = GUIDED;
    stub.heartbeat();
    const rec = await cmd.done;
    expect(rec.state).toBe('failed');
    expect(rec.transitions.at(-1)!.detail).toMatch(/left the RTL \(mode changed\).*from home/);
  }, 20_000);

  it('RTL that lands away from home is not achieved', async () => {
    const { stub, drones } = await flyingAway();
    takesMode(stub);
    const cmd = drones.issue('drone-1', { action: 'rtl' }, 'op');
    await new Promise((r) => setTimeout(r, 300));
    landAt(stub, 302720000, 1200650000); // ~220 m north of home
    const rec = await cmd.done;
    expect(rec.state).toBe('failed');
    expect(rec.transitions.at(-1)!.detail).toMatch(/landed and disarmed 2\d\d m from home, not at home/);
  }, 20_000);

  it('land: achieved once landed and disarmed; a later go-to replaces it (cancelled)', async () => {
    const { stub, drones, ledger } = await flyingAway();
    takesMode(stub);
    const land = drones.issue('drone-1', { action: 'land' }, 'op');
    await until(() => ledger.get(land.id)?.transitions.some((t) => t.distanceLeftM === 30), 'altitude left', 5000, 10);
    expect(ledger.get(land.id)!.outcome).toBe('accepted');
    landAt(stub, 302740000, 1200695000);
    const rec = await land.done;
    expect(rec.outcome).toBe('achieved');
    expect(rec.transitions.at(-1)!.detail).toMatch(/landed and disarmed/);

    // Airborne again: a land replaced by a go-to ends as cancelled, not failed.
    Object.assign(stub.state, { relAltM: 30, altAmslM: 42 });
    stub.armed = true;
    stub.customMode = AUTO;
    stub.heartbeat();
    await until(() => ledger.list({ targetId: 'drone-1' }).length === 1 && stub.armed, 'armed again', 5000, 10);
    await new Promise((r) => setTimeout(r, 300));
    const land2 = drones.issue('drone-1', { action: 'land' }, 'op');
    await until(() => ledger.get(land2.id)?.outcome === 'accepted', 'land accepted', 5000, 10);
    void drones.issue('drone-1', { action: 'goto', latDeg: 30.2745, lonDeg: 120.0697, altitudeRelM: 30 }, 'op');
    const rec2 = await land2.done;
    expect(rec2.state).toBe('cancelled');
  }, 20_000);
});

describe('RTL/land budget and evaluation (pure)', () => {
  const ac = RETURN_PROFILES.ardupilot;

  it('budgets an RTL from the distance and height at ArduCopter\'s RTL speeds, never a short fixed timeout', () => {
    // 600 m out at 30 m: 60 s home at 10 m/s, 5 s loiter, 20/1.5 + 10/0.5 s down ≈ 98 s (SITL: 90-100 s).
    expect(expectedReturnS('rtl', 600, 30, ac)).toBeCloseTo(60 + 5 + 20 / 1.5 + 20, 5);
    // Below RTL_ALT it climbs first.
    expect(expectedReturnS('rtl', 0, 5, ac)).toBeCloseTo(10 / 2.5 + 5 + 5 / 1.5 + 10 / 0.5, 5);
    expect(expectedReturnS('land', 600, 30, ac)).toBeCloseTo(20 / 1.5 + 20, 5);
    const budget = returnBudgetMs('rtl', 600, 30, ac, 30_000);
    expect(budget).toBeGreaterThan(2 * 95_000);
    expect(returnBudgetMs('rtl', 3000, 30, ac, 30_000)).toBe(budget + 2 * 240_000);
    // PX4 returns at 5 m/s: twice as long home.
    expect(expectedReturnS('rtl', 600, 60, RETURN_PROFILES.px4) - expectedReturnS('rtl', 600, 60, ac)).toBeGreaterThan(40);
  });

  const home = { latDeg: 30.27, lonDeg: 120.065 };
  const goal: ReturnGoal = { kind: 'rtl', home, startMs: 0, withinMs: 200_000, profile: ac, totalS: 98 };
  const sample = (over: Partial<ReturnSample>): ReturnSample => ({ nowMs: 1000, latDeg: 30.274, lonDeg: 120.0695, relAltM: 30, armed: true, modeOk: true, groundSpeedMps: 10, ...over });

  it('times out after the budget, naming where the drone is', () => {
    const r = evaluateReturn(sample({ nowMs: 200_001 }), goal, { modeSeen: true });
    expect(r.verdict).toMatchObject({ kind: 'timeout', message: expect.stringMatching(/not landed and disarmed after 200 s: 30\.0 m up 6\d\d m from home/) });
    expect(evaluateReturn(sample({ nowMs: 199_000 }), goal, { modeSeen: true }).verdict.kind).toBe('under_way');
  });

  it('waits for the heartbeat naming the mode, then fails on a mode change', () => {
    expect(evaluateReturn(sample({ modeOk: false, nowMs: 1000 }), goal, { modeSeen: false }).verdict.kind).toBe('under_way');
    expect(evaluateReturn(sample({ modeOk: false, nowMs: 4000 }), goal, { modeSeen: false }).verdict.kind).toBe('failed');
    expect(evaluateReturn(sample({ modeOk: false, nowMs: 1000 }), goal, { modeSeen: true }).verdict.kind).toBe('failed');
  });

  it('a disarm in the air is a failure once it outlasts a telemetry lag; a landing at home is achieved', () => {
    let r = evaluateReturn(sample({ armed: false, nowMs: 1000 }), goal, { modeSeen: true });
    expect(r.verdict.kind).toBe('under_way');
    r = evaluateReturn(sample({ armed: false, nowMs: 4500 }), goal, r.track);
    expect(r.verdict).toMatchObject({ kind: 'failed', message: expect.stringMatching(/disarmed at 30\.0 m/) });
    const atHome = evaluateReturn(sample({ ...home, latDeg: home.latDeg + 0.00002, armed: false, relAltM: 0.2 }), goal, { modeSeen: true });
    expect(atHome.verdict).toMatchObject({ kind: 'achieved', message: expect.stringMatching(/at home \(2\.\d m\)/) });
    // Without a known home the outcome says the distance was not checked.
    const noHome = evaluateReturn(sample({ armed: false, relAltM: 0.2 }), { ...goal, home: undefined }, { modeSeen: true });
    expect(noHome.verdict).toMatchObject({ kind: 'achieved', message: expect.stringMatching(/home position unknown/) });
  });
});

describe('go-to FAILED by the vehicle\'s fence (ArduCopter set_destination)', () => {
  // A 400 m square round home with an exclusion square in its north-east corner.
  const sq = (cLat: number, cLon: number, dLat: number, dLon: number) => [
    [cLat - dLat, cLon - dLon], [cLat + dLat, cLon - dLon], [cLat + dLat, cLon + dLon], [cLat - dLat, cLon + dLon],
  ] as const;
  const inclusion = sq(30.27, 120.065, 0.0018, 0.0021);
  const exclusion = sq(30.2712, 120.0663, 0.0003, 0.0003);
  const pts = (q: typeof inclusion) => q.map(([latDeg, lonDeg]) => ({ latDeg, lonDeg }));
  const items = [...fencePolygon(pts(inclusion), true), ...fencePolygon(pts(exclusion), false)];

  it('reads the zones and says where a point lies', () => {
    expect(fenceZones(items).map((z) => z.inclusion)).toEqual([true, false]);
    expect(outsideFence(items, { latDeg: 30.27, lonDeg: 120.065 })).toBeUndefined();
    expect(outsideFence(items, { latDeg: 30.275, lonDeg: 120.065 })).toBe('outside its inclusion zone');
    expect(outsideFence(items, { latDeg: 30.2712, lonDeg: 120.0663 })).toBe('inside its exclusion zone 1');
  });

  it('names the fence as the likely cause of a bare FAILED once the fence is enabled, and only then', async () => {
    const { v, stub } = await flyingAway();
    Object.assign(stub.state, { latE7: HOME.latE7, lonE7: HOME.lonE7 });
    stub.readBack = 'verbatim';
    expect((await v.geofence.upload(items)).status).toBe('success');
    const outside = { latDeg: 30.275, lonDeg: 120.065, altRelM: 30 };
    stub.onCommand = (cmd, reply) => reply(cmd.command === C.DO_REPOSITION ? R.FAILED : R.ACCEPTED);
    // Uploaded but not enabled: ArduCopter does not check it, so it is not the cause.
    const before = await v.action.goto(outside);
    expect(before.status).toBe('failed');
    expect(before.message ?? '').not.toMatch(/fence/);
    expect((await v.action.enableFence()).status).toBe('success');
    const r = await v.action.goto(outside);
    expect(r).toMatchObject({ status: 'failed', message: expect.stringMatching(/^target outside the vehicle's fence \(outside its inclusion zone\)/) });
    const inExcl = await v.action.goto({ latDeg: 30.2712, lonDeg: 120.0663, altRelM: 30 });
    expect(inExcl.message).toMatch(/inside its exclusion zone 1/);
    // A FAILED for a target the fence allows is not blamed on it.
    const inside = await v.action.goto({ latDeg: 30.2695, lonDeg: 120.0645, altRelM: 30 });
    expect(inside.status).toBe('failed');
    expect(inside.message ?? '').not.toMatch(/fence/);
  }, 20_000);
});
