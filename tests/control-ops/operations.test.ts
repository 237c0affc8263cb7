import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distanceM } from '../../site/geometry.ts';
import { startControlStack, eventually, type ControlStack } from '../helpers/control-stack.ts';
import type { Alarm } from '../../control/alarms/alarm.ts';

let stack: ControlStack;
let op: string;
let chief: string;
const auth = (t: string) => ({ authorization: `Bearer ${t}` });

beforeAll(async () => {
  // Four drones: the two at the station and the two Egrets on the south-east shore.
  stack = await startControlStack({ speed: 10, drones: ['drone-1', 'drone-2', 'drone-3', 'drone-4'], speakers: ['sp-2', 'sp-5', 'sp-6'] });
  op = await stack.login('operator');
  chief = await stack.login('chief');
  await eventually('every drone linked and reporting', () => stack.site.drones.every((d) => stack.ops.fleet.telemetry(d.id)) || undefined);
}, 60_000);

afterAll(async () => {
  await stack?.close();
});

describe('alarm dispatch against simulated drones', () => {
  it('sends the nearest drone to a clicked point, warns nearby speakers, and times it against the ring target', async () => {
    const cp3 = stack.site.checkpoints.find((c) => c.id === 'cp-3')!;
    const r = await stack.api.inject({ method: 'POST', url: '/api/dispatch', headers: auth(op), payload: { ...cp3.position, note: 'fight on the boardwalk' } });
    expect(r.statusCode).toBe(202);
    const alarm = r.json() as Alarm;
    expect(alarm.ringId).toBe('prevention');
    // drone-1 and drone-2 share the station dock, nearest to cp-3; ties go by id.
    expect(alarm.responder?.droneId).toBe('drone-1');
    expect(alarm.broadcastId).toBeDefined();

    const arrived = await eventually('drone-1 on scene', () => {
      const a = stack.ops.alarms.get(alarm.id);
      return a?.responder?.onSceneAtMs !== undefined ? a : undefined;
    }, 40_000);
    expect(arrived.responder!.timeToSceneS).toBeGreaterThan(0);
    expect(arrived.responder!.timeToSceneS).toBeLessThan(180);
    expect(arrived.responder!.withinTarget).toBe(true);
    const truth = stack.fleet.drones.get('drone-1')!.state();
    expect(distanceM(truth, cp3.position)).toBeLessThan(60);
    // Every step went through the ledger and was confirmed by the drone: the site fence
    // first, read back and enabled (issue 14 item 1), the go-to achieved only at the
    // point, then the hold there (issue 14 item 3).
    const kinds = await eventually('the go-to achieved and the hold confirmed', () => {
      const k = stack.ops.alarms.get(alarm.id)!.responder!.commandIds.map((id) => stack.control.ledger.get(id)!).map((rec) => `${rec.kind}:${rec.state}`);
      return k.length >= 7 && k[6] === 'hold:succeeded' ? k : undefined;
    }, 30_000);
    expect(kinds).toEqual(['plan_upload:succeeded', 'fence_enable:succeeded', 'set_mode:succeeded', 'arm:succeeded', 'takeoff:succeeded', 'goto:succeeded', 'hold:succeeded']);
    const gotoRec = stack.control.ledger.get(stack.ops.alarms.get(alarm.id)!.responder!.commandIds[5]!)!;
    expect(gotoRec.outcome).toBe('achieved');
    expect(gotoRec.transitions.some((t) => t.distanceLeftM !== undefined)).toBe(true);
    // The boardwalk pavilion's speaker, 100 m away, played the ring's warning.
    const report = stack.ops.broadcasts!.get(arrived.broadcastId!)!.report.snapshot();
    expect(report.speakers.map((s) => s.speakerId)).toContain('sp-5');
    await eventually('sp-5 to answer', () => stack.ops.broadcasts!.get(arrived.broadcastId!)!.report.snapshot().speakers.find((s) => s.speakerId === 'sp-5' && s.state !== 'pending'));

    const resolved = await stack.api.inject({ method: 'POST', url: `/api/alarms/${alarm.id}/resolve`, headers: auth(op) });
    expect(resolved.json()).toMatchObject({ state: 'resolved', resolvedBy: 'operator' });
    await eventually('drone-1 heading home', () => stack.fleet.drones.get('drone-1')!.state().mode === 'RTL');
  }, 60_000);

  it('chooses another drone when the nearest cannot go, and says why', async () => {
    await stack.fleet.injectFault({ device: 'drone-2', kind: 'link_loss', durationS: 120 });
    await eventually('drone-2 link lost', () => !stack.ops.fleet.online('drone-2'));
    // Issue 11.10: the last report is shown as stale, with its age and its own time.
    const listed = (await stack.api.inject({ method: 'GET', url: '/api/drones', headers: auth(op) })).json() as { id: string; link: string; telemetryStale?: boolean; telemetryAgeMs?: number; telemetry?: { tsMs: number } }[];
    const d2 = listed.find((d) => d.id === 'drone-2')!;
    expect(d2.link).toBe('lost');
    expect(d2.telemetryStale).toBe(true);
    expect(d2.telemetryAgeMs).toBeGreaterThan(1000);
    expect(d2.telemetry!.tsMs).toBeLessThan(stack.time.nowMs() - 1000);
    expect(listed.find((d) => d.id === 'drone-1')!.telemetryStale).toBe(false);
    const cp6 = stack.site.checkpoints.find((c) => c.id === 'cp-6')!;
    const r = await stack.api.inject({ method: 'POST', url: '/api/dispatch', headers: auth(op), payload: cp6.position });
    const alarm = r.json() as Alarm;
    // drone-1 is still on its way home from the last alarm; drone-2 is unreachable; the Egrets are near cp-6 anyway.
    expect(['drone-3', 'drone-4']).toContain(alarm.responder?.droneId);
    await stack.fleet.clearFaults('drone-2');
  });

  it('refuses dispatch to engineers and broadcasts to operators', async () => {
    const eng = await stack.login('engineer');
    expect((await stack.api.inject({ method: 'POST', url: '/api/dispatch', headers: auth(eng), payload: { latDeg: 30.27, lonDeg: 120.06 } })).statusCode).toBe(403);
    const body = { target: { kind: 'rings', ringIds: ['prevention'] }, source: { kind: 'clip', clipId: 'warn-prevention-zh' }, volumePct: 80, loop: false, priority: 50 };
    expect((await stack.api.inject({ method: 'POST', url: '/api/broadcasts', headers: auth(op), payload: body })).statusCode).toBe(403);
    const sent = await stack.api.inject({ method: 'POST', url: '/api/broadcasts', headers: auth(chief), payload: body });
    expect(sent.statusCode).toBe(202);
    expect(sent.json().speakers.map((s: { speakerId: string }) => s.speakerId)).toEqual(expect.arrayContaining(['sp-5', 'sp-6']));
  });
});

describe('coverage', () => {
  it('drops when a drone leaves', async () => {
    const before = stack.ops.coverage();
    // The station's two drones are what covers the inner rings quickest.
    await stack.fleet.injectFault({ device: 'drone-1', kind: 'link_loss', durationS: 300 });
    await stack.fleet.injectFault({ device: 'drone-2', kind: 'link_loss', durationS: 300 });
    const after = await eventually('coverage to drop', () => {
      const c = stack.ops.coverage();
      const sum = (x: typeof c) => x.reduce((s, r) => s + r.areaPct, 0);
      return sum(c) < sum(before) ? c : undefined;
    }, 20_000);
    // Not ring by ring: the previous test's responder is still flying (or landing) near
    // cp-6 and moves the outer rings' figures either way meanwhile.
    expect(after.find((r) => r.ringId === 'containment')!.areaPct).toBeLessThan(before.find((r) => r.ringId === 'containment')!.areaPct);
    await stack.fleet.clearFaults('drone-1');
    await stack.fleet.clearFaults('drone-2');
  }, 30_000);
});
