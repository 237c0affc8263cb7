import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFrame } from '../../control/geo/local-frame.ts';
import { projectOnPath } from '../../control/geo/polyline.ts';
import type { RingPatrolState } from '../../control/ops/patrol-service.ts';
import { demoSite } from '../helpers/broker.ts';
import { startControlStack, eventually, type ControlStack } from '../helpers/control-stack.ts';

const SPEED = 20;
let stack: ControlStack;
let op: string;
const auth = (t: string) => ({ authorization: `Bearer ${t}` });

beforeAll(async () => {
  // Short-endurance drones so a relief is due within seconds of wall time.
  const base = demoSite().site;
  const site = { ...base, drones: base.drones.map((d) => ({ ...d, enduranceS: 600 })) };
  stack = await startControlStack({
    speed: SPEED,
    site,
    drones: ['drone-1', 'drone-2', 'drone-3'],
    speakers: 'none',
    ops: { planOptions: { turnaroundS: 30, horizonS: 1200 } },
  });
  op = await stack.login('operator');
  await eventually('drones reporting', () => stack.site.drones.every((d) => stack.ops.fleet.telemetry(d.id)) || undefined);
}, 60_000);

afterAll(async () => {
  await stack?.close();
});

describe('ring patrol flown by simulated drones', () => {
  it('previews, starts, flies the containment loop in its band, and relieves the drone before its battery runs low', async () => {
    const preview = await stack.api.inject({ method: 'POST', url: '/api/patrols/preview', headers: auth(op), payload: { turnaroundS: 30 } });
    expect(preview.statusCode).toBe(200);

    const started = await stack.api.inject({ method: 'POST', url: '/api/patrols/start', headers: auth(op), payload: { ringIds: ['containment'] } });
    expect(started.statusCode).toBe(200);
    const ring = (started.json() as RingPatrolState[]).find((r) => r.ringId === 'containment')!;
    expect(ring.active).toBe(true);
    expect(ring.sorties.length).toBeGreaterThanOrEqual(2);
    const band = stack.site.rings[0]!.altitudeBandM;
    const state = () => stack.ops.patrols.state().find((r) => r.ringId === 'containment')!;

    const first = ring.sorties[0]!;
    await eventually('first sortie flying', () => state().sorties[0]!.status === 'flying' || (state().sorties[0]!.status === 'failed' && Promise.reject(new Error(state().sorties[0]!.failure))), 30_000);
    const records = state().sorties[0]!.commandIds.map((id) => stack.control.ledger.get(id)!);
    expect(records.map((r) => `${r.kind}:${r.state}`)).toEqual(['plan_upload:succeeded', 'fence_enable:succeeded', 'plan_upload:succeeded', 'set_mode:succeeded', 'arm:succeeded', 'mission_start:succeeded']);
    // Issue 11.13: the fence is uploaded and read back before the mission, before arming.
    expect(records.map((r) => r.payload['missionType'])).toEqual(['fence', undefined, 'mission', undefined, undefined, undefined]);
    expect(records[0]!.payload['itemCount']).toBeGreaterThan(3);

    // Once on the loop, the drone stays on it and inside the band.
    const frame = new LocalFrame({ latDeg: 30.27, lonDeg: 120.065 });
    const loop = ring.plan!.loop.map((p) => frame.toXy(p));
    const sim = stack.fleet.drones.get(first.droneId)!;
    await eventually('first drone on the loop', () => {
      const s = sim.state();
      return s.altRelM > band.minRelM - 1 && projectOnPath(loop, frame.toXy(s), true).distM < 25;
    }, 30_000);
    for (let i = 0; i < 10; i++) {
      const s = sim.state();
      expect(s.altRelM).toBeGreaterThanOrEqual(band.minRelM - 2);
      expect(s.altRelM).toBeLessThanOrEqual(band.maxRelM + 2);
      expect(projectOnPath(loop, frame.toXy(s), true).distM).toBeLessThan(40);
      await new Promise((r) => setTimeout(r, 200));
    }

    // The relief takes off while the first drone still has more than its reserve.
    const reserve = stack.site.drones.find((d) => d.id === first.droneId)!.reservePct ?? 25;
    const batteryAtRelief = await eventually('relief launch', () => (state().sorties[1]!.status !== 'scheduled' ? sim.state().batteryPct : undefined), 60_000);
    expect(state().sorties[1]!.droneId).not.toBe(first.droneId);
    expect(batteryAtRelief).toBeGreaterThan(reserve);
    // The relieved drone heads home by itself (its mission ends in RTL), still above reserve.
    await eventually('first drone returning', () => sim.state().mode === 'RTL', 60_000);
    // Turning home at the planned time leaves the reserve plus the way home.
    expect(sim.state().batteryPct).toBeGreaterThan(reserve);
    const relief = stack.fleet.drones.get(state().sorties[1]!.droneId)!;
    await eventually('relief in the band', () => relief.state().altRelM >= band.minRelM - 1, 30_000);

    const stopped = await stack.api.inject({ method: 'POST', url: '/api/patrols/stop', headers: auth(op), payload: { ringIds: ['containment'] } });
    expect(stopped.statusCode).toBe(200);
    await eventually('relief sent home', () => relief.state().mode === 'RTL', 20_000);
  }, 180_000);
});
