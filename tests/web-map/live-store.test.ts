import { describe, expect, it } from 'vitest';
import { LiveStore, type Section } from '../../web-map/client/live-store.ts';
import type { LedgerRecord, LiveEvent } from '../../web-map/client/types.ts';

/** A frame scheduler the test fires by hand. */
function frames() {
  const queue: (() => void)[] = [];
  return {
    schedule: (cb: () => void) => void queue.push(cb),
    pending: () => queue.length,
    fire() {
      const q = queue.splice(0);
      for (const cb of q) cb();
    },
  };
}

const tel = (droneId: string, tsMs: number, latDeg = 30.27, extra: object = {}) => ({
  type: 'telemetry' as const,
  data: { droneId, tsMs, latDeg, lonDeg: 120.065, altAmslM: 50, altRelM: 40, headingDeg: 90, groundSpeedMps: 10, batteryPct: 80, batteryV: 15.8, mode: 'AUTO', armed: true, gpsFix: 3, ...extra },
});

const ledger = (id: string, states: LedgerRecord['state'][], detail?: string): LedgerRecord => ({
  id,
  issuer: 'operator',
  target: { kind: 'drone', id: 'drone-1' },
  kind: 'takeoff',
  via: 'mavlink',
  payload: {},
  state: states[states.length - 1]!,
  createdMs: 1,
  updatedMs: states.length,
  transitions: states.map((state, i) => ({ state, tsMs: i + 1, ...(detail && i === states.length - 1 ? { detail } : {}) })),
});

describe('live store', () => {
  it('applies every batch that arrived before a frame in that one frame, and notifies once', () => {
    const f = frames();
    const store = new LiveStore(f.schedule);
    const heard: Set<Section>[] = [];
    store.subscribe((c) => heard.push(new Set(c)));
    store.enqueue([tel('drone-1', 1000), tel('drone-2', 1000)]);
    store.enqueue([tel('drone-1', 1500, 30.271)]);
    store.enqueue([{ type: 'alarm', data: { id: 'a1', state: 'open', raisedAtMs: 1, position: { latDeg: 1, lonDeg: 2 } } } as unknown as LiveEvent]);
    expect(f.pending()).toBe(1); // one frame requested for three batches
    expect(store.drones.size).toBe(0); // nothing applied before the frame
    f.fire();
    expect(heard).toHaveLength(1);
    expect([...heard[0]!].sort()).toEqual(['alarms', 'drones']);
    expect(store.drones.get('drone-1')!.telemetry!.latDeg).toBe(30.271);
    expect(store.drones.get('drone-1')!.trail).toHaveLength(2);
    expect(store.frames).toBe(1);
    store.enqueue([tel('drone-2', 2000)]);
    expect(f.pending()).toBe(1);
    f.fire();
    expect(heard).toHaveLength(2);
  });

  it('never moves a drone back to older telemetry and bounds its trail', () => {
    const f = frames();
    const store = new LiveStore(f.schedule, 5);
    store.applyNow([tel('drone-1', 2000, 30.3)]);
    store.applyNow([tel('drone-1', 1000, 30.1)]);
    expect(store.drones.get('drone-1')!.telemetry!.latDeg).toBe(30.3);
    for (let i = 0; i < 20; i++) store.applyNow([tel('drone-1', 3000 + i, 30 + i / 100)]);
    const trail = store.drones.get('drone-1')!.trail;
    expect(trail).toHaveLength(5);
    expect(trail[4]!.tsMs).toBe(3019);
  });

  it('keeps link state: lost stays lost through telemetry until the link says ok', () => {
    const store = new LiveStore(() => undefined);
    store.applyNow([tel('drone-3', 1)]);
    expect(store.drones.get('drone-3')!.link).toBe('ok');
    store.applyNow([{ type: 'link', data: { droneId: 'drone-3', state: 'lost' } }, tel('drone-3', 2)]);
    expect(store.drones.get('drone-3')!.link).toBe('lost');
    store.applyNow([{ type: 'status', data: { kind: 'drone', deviceId: 'drone-3', state: 'online' } }]);
    expect(store.drones.get('drone-3')!.link).toBe('ok');
  });

  it('moves ledger records only forward, so a late "sent" never hides a refusal', () => {
    const store = new LiveStore(() => undefined);
    store.applyNow([{ type: 'ledger', data: ledger('c1', ['queued', 'sent', 'failed'], 'PreArm: Need Position Estimate') }]);
    store.applyNow([{ type: 'ledger', data: ledger('c1', ['queued', 'sent']) }]);
    const r = store.ledgerFor('drone-1')[0]!;
    expect(r.state).toBe('failed');
    expect(r.transitions.at(-1)!.detail).toBe('PreArm: Need Position Estimate');
  });

  it('counts and drops malformed or unknown events without throwing', () => {
    const store = new LiveStore(() => undefined);
    const heard: unknown[] = [];
    store.subscribe((c) => heard.push(c));
    store.applyNow([
      { type: 'telemetry', data: { droneId: 'x' } },
      { type: 'telemetry', data: null },
      { type: 'ledger', data: { id: 'c9' } },
      { type: 'mystery', data: {} },
      { type: 'coverage', data: 'nope' },
      // Malformed on purpose: the wire is not trusted to match the LiveEvent union.
    ] as unknown as LiveEvent[]);
    expect(heard).toHaveLength(0);
    expect(store.drones.size).toBe(0);
    expect(store.counts.get('dropped:telemetry')).toBe(2);
    expect(store.counts.get('dropped:mystery')).toBe(1);
  });

  it('keeps up with 1,000 drones at 2 Hz: a second of updates applies in one frame quickly', () => {
    const f = frames();
    const store = new LiveStore(f.schedule);
    for (let b = 0; b < 10; b++) store.enqueue(Array.from({ length: 200 }, (_, i) => tel(`drone-${(b * 200 + i) % 1000}`, 1000 + b)));
    const t0 = performance.now();
    f.fire();
    expect(store.drones.size).toBe(1000);
    expect(performance.now() - t0).toBeLessThan(100);
  });

  it('a REST snapshot stamped by another clock never freezes the stream', () => {
    const f = frames();
    const store = new LiveStore(f.schedule);
    // The snapshot's clock runs ahead of the vehicle's (a simulator at 10×, a skewed server).
    store.applyNow([{ ...tel('drone-1', 5_000_000, 30.1), type: 'telemetry_snapshot' as const }]);
    store.enqueue([tel('drone-1', 1_000, 30.2)]);
    f.fire();
    expect(store.drones.get('drone-1')!.telemetry!.latDeg).toBe(30.2);
    // Between stream points the out-of-order guard still holds.
    store.enqueue([tel('drone-1', 900, 30.3)]);
    f.fire();
    expect(store.drones.get('drone-1')!.telemetry!.latDeg).toBe(30.2);
  });
});
