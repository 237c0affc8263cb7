import { describe, expect, it } from 'vitest';
import { loadSite } from '../../site/load.ts';
import { AlarmBook } from '../../control/alarms/alarm-book.ts';
import type { SensorEvent } from '../../protocol/schemas/sensor.ts';

const site = loadSite('sites/demo.yaml');
const cp3 = site.checkpoints.find((c) => c.id === 'cp-3')!;

function book() {
  let now = 1_000_000;
  const clock = { nowMs: () => now };
  return { b: new AlarmBook(site, clock), advance: (ms: number) => (now += ms) };
}

const ev = (over: Partial<SensorEvent> = {}): SensorEvent => ({
  id: `e-${Math.random().toString(36).slice(2)}`,
  tsMs: 1,
  type: 'perimeter_intrusion',
  severity: 'high',
  checkpointId: 'cp-3',
  ...over,
});

describe('alarm book', () => {
  it('raises an alarm at the checkpoint in its ring, with priority from severity', () => {
    const { b } = book();
    const r = b.fromSensorEvent('cp-3-perimeter', ev())!;
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.alarm).toMatchObject({ state: 'open', ringId: 'prevention', priority: 70, position: cp3.position, eventCount: 1 });
    expect(r.alarm.source).toMatchObject({ kind: 'sensor', deviceId: 'cp-3-perimeter', checkpointId: 'cp-3', type: 'perimeter_intrusion' });
    expect(b.targetS(r.alarm)).toBe(180);
  });

  it('ignores events below the threshold and merges repeats within the window', () => {
    const { b, advance } = book();
    expect(b.fromSensorEvent('cp-3-perimeter', ev({ severity: 'low' }))).toBeUndefined();
    expect(b.belowThreshold).toBe(1);
    const first = b.fromSensorEvent('cp-3-perimeter', ev())!;
    advance(60_000);
    const again = b.fromSensorEvent('cp-3-perimeter', ev({ severity: 'critical' }))!;
    expect(again.ok && first.ok && again.alarm.id === first.alarm.id).toBe(true);
    if (again.ok) expect(again.alarm).toMatchObject({ eventCount: 2, severity: 'critical', priority: 90 });
    advance(121_000);
    const later = b.fromSensorEvent('cp-3-perimeter', ev())!;
    expect(later.ok && first.ok && later.alarm.id !== first.alarm.id).toBe(true);
    expect(b.list('open')).toHaveLength(2);
  });

  it('refuses an event from a device that is no sensor of this site, with a reason', () => {
    const { b } = book();
    expect(b.fromSensorEvent('x', ev({ checkpointId: 'cp-99' }))).toEqual({ ok: false, refusal: 'unknown_sensor', reason: expect.stringContaining('sensor x is not on this site') });
    expect(b.refused.unknown_sensor).toBe(1);
  });

  // Issue 14 item 2: one sensor's credentials placed events at cp-1..cp-4, in the hospital zone.
  it('trusts a sensor only for its own checkpoint and for positions near it', () => {
    const { b } = book();
    const other = b.fromSensorEvent('cp-3-perimeter', ev({ checkpointId: 'cp-1' }));
    expect(other).toMatchObject({ ok: false, refusal: 'wrong_checkpoint', reason: expect.stringContaining('belongs to cp-3 but event') });
    const hospital = site.noFlyZones.find((z) => z.id === 'nfz-hospital')!.shape as { center: { latDeg: number; lonDeg: number } };
    const far = b.fromSensorEvent('cp-3-perimeter', ev({ ...hospital.center }));
    expect(far).toMatchObject({ ok: false, refusal: 'position_far' });
    expect(b.refused).toEqual({ unknown_sensor: 0, wrong_checkpoint: 1, position_far: 1 });
    expect(b.list()).toHaveLength(0);
    // Near its own checkpoint, a precise position is believed; ring and checkpoint come from the site.
    const near = b.fromSensorEvent('cp-3-perimeter', ev({ latDeg: cp3.position.latDeg + 0.0005, lonDeg: cp3.position.lonDeg }))!;
    expect(near).toMatchObject({ ok: true, created: true, alarm: { source: { checkpointId: 'cp-3' }, position: { latDeg: cp3.position.latDeg + 0.0005 } } });
    // Below the alarm threshold is still checked first: a forged low event is refused, not ignored.
    expect(b.fromSensorEvent('cp-3-perimeter', ev({ checkpointId: 'cp-2', severity: 'low' }))).toMatchObject({ ok: false, refusal: 'wrong_checkpoint' });
  });

  it('keeps a history per alarm and names previous responders', () => {
    const { b } = book();
    const a = b.raiseManual(cp3.position, 'operator');
    b.assign(a.id, { droneId: 'drone-1', commandIds: [], dispatchedAtMs: 0 });
    b.assign(a.id, { droneId: 'drone-3', commandIds: [], dispatchedAtMs: 0 }, 'reassigned', 'chief');
    expect(a.responder!.droneId).toBe('drone-3');
    expect(a.previousResponders!.map((r) => r.droneId)).toEqual(['drone-1']);
    b.unassign(a.id, 'taken by alarm z');
    expect(a.responder).toBeUndefined();
    expect(a.noResponderReason).toBe('taken by alarm z');
    expect(a.history!.map((h) => h.what)).toEqual([expect.stringMatching(/^raised/), 'dispatched: drone-1', 'reassigned: drone-3', 'taken by alarm z']);
  });

  it('acknowledges once and resolves once', () => {
    const { b } = book();
    const a = b.raiseManual({ latDeg: 30.27, lonDeg: 120.07 }, 'operator', 'dispute at gate');
    expect(a).toMatchObject({ ringId: 'containment', severity: 'high', source: { kind: 'manual', username: 'operator', note: 'dispute at gate' } });
    expect(b.acknowledge(a.id, 'operator')).toMatchObject({ ok: true, alarm: { state: 'acknowledged', ackedBy: 'operator' } });
    expect(b.acknowledge(a.id, 'operator')).toEqual({ ok: false, reason: `alarm ${a.id} is acknowledged` });
    expect(b.resolve(a.id, 'chief')).toMatchObject({ ok: true, alarm: { state: 'resolved', resolvedBy: 'chief' } });
    expect(b.resolve(a.id, 'chief').ok).toBe(false);
    expect(b.list('open')).toEqual([]);
  });

  it('measures time to scene from the responder’s own positions against the ring target', () => {
    const { b, advance } = book();
    const r = b.fromSensorEvent('cp-3-perimeter', ev())!;
    if (!r.ok) throw new Error(r.reason);
    advance(5_000);
    b.assign(r.alarm.id, { droneId: 'drone-3', commandIds: ['c1'], dispatchedAtMs: 1_005_000 });
    advance(60_000);
    expect(b.onDronePosition('drone-3', { latDeg: cp3.position.latDeg + 0.001, lonDeg: cp3.position.lonDeg })).toBeUndefined(); // ~111 m away
    expect(b.onDronePosition('drone-4', cp3.position)).toBeUndefined(); // not the responder
    advance(30_000);
    const arrived = b.onDronePosition('drone-3', { latDeg: cp3.position.latDeg + 0.0002, lonDeg: cp3.position.lonDeg })!;
    expect(arrived.responder).toMatchObject({ timeToSceneS: 95, targetS: 180, withinTarget: true });
    expect(b.onDronePosition('drone-3', cp3.position)).toBeUndefined(); // measured once
  });
});
