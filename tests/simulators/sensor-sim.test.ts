import { describe, expect, it } from 'vitest';
import { checkPayload, type AckPayload, type SensorEvent, type SensorTelemetry } from '../../protocol/index.ts';
import { createRng } from '../../simulators/fleet/rng.ts';
import { Scheduler } from '../../simulators/fleet/scheduler.ts';
import { SensorSim, type SensorSpec } from '../../simulators/sensor/sensor-sim.ts';

function setup(spec: SensorSpec, opts: { speed?: number; randomEvents?: boolean; seed?: number } = {}) {
  let now = 1_700_000_000_000;
  const clock = { nowMs: () => now };
  const scheduler = new Scheduler(clock);
  const events: SensorEvent[] = [];
  const telemetry: SensorTelemetry[] = [];
  const acks: AckPayload[] = [];
  const sim = new SensorSim(
    spec,
    { scheduler, rng: createRng(opts.seed ?? 7), nowMs: clock.nowMs, speed: opts.speed ?? 1, randomEvents: opts.randomEvents, reportIntervalS: 30 },
    { event: (e) => events.push(e), telemetry: (t) => telemetry.push({ ...t }), ack: (a) => acks.push(a) },
  );
  const advance = (ms: number, stepMs = 100) => {
    for (let t = 0; t < ms; t += stepMs) {
      now += stepMs;
      scheduler.runDue();
    }
  };
  return { sim, events, telemetry, acks, advance, scheduler };
}

describe('SensorSim', () => {
  it('sends heartbeats at the report interval scaled by speed', () => {
    const s = setup({ id: 'cp-1-anpr', type: 'anpr_camera', checkpointId: 'cp-1' }, { speed: 10, randomEvents: false });
    s.sim.start();
    s.advance(30_000); // 300 simulated seconds → 10 heartbeats
    expect(s.telemetry.length).toBeGreaterThanOrEqual(9);
    expect(s.telemetry.length).toBeLessThanOrEqual(11);
    for (const t of s.telemetry) expect(checkPayload('sensor', 'telemetry', JSON.stringify(t)).ok).toBe(true);
    s.sim.stopHeartbeats = true;
    const before = s.telemetry.length;
    s.advance(10_000);
    expect(s.telemetry.length).toBe(before);
    s.scheduler.close();
  });

  it('draws random events at the configured rates, every one valid per schema', () => {
    const s = setup({ id: 'cp-1-anpr', type: 'anpr_camera', checkpointId: 'cp-1' }, { speed: 60 });
    s.sim.start();
    s.advance(60_000, 500); // one simulated hour at 60x: ~60 vehicle passes
    const passes = s.events.filter((e) => e.type === 'vehicle_pass');
    expect(passes.length).toBeGreaterThan(30);
    expect(passes.length).toBeLessThan(100);
    for (const e of s.events) {
      const c = checkPayload('sensor', 'event', JSON.stringify(e));
      expect(c.ok, c.ok ? '' : c.message).toBe(true);
      expect(e.checkpointId).toBe('cp-1');
      expect(e.plate).toMatch(/^\p{Script=Han}[A-Z][A-Z0-9]{5}$/u);
    }
    expect(new Set(s.events.map((e) => e.id)).size).toBe(s.events.length);
    s.scheduler.close();
  });

  it('is reproducible from its seed', () => {
    const run = () => {
      const s = setup({ id: 'cp-1-anpr', type: 'anpr_camera', checkpointId: 'cp-1' }, { speed: 60, seed: 42 });
      s.sim.start();
      s.advance(20_000, 500);
      s.scheduler.close();
      return s.events.map((e) => `${e.type}:${e.plate}`);
    };
    expect(run()).toEqual(run());
  });

  it('scripted events: refuses a type the sensor does not emit', () => {
    const s = setup({ id: 'cp-3-perimeter', type: 'perimeter', checkpointId: 'cp-3' }, { randomEvents: false });
    const ev = s.sim.trigger('perimeter_intrusion', { severity: 'critical', text: 'ladder at fence zone 3' });
    expect(ev).toMatchObject({ type: 'perimeter_intrusion', severity: 'critical', checkpointId: 'cp-3', text: 'ladder at fence zone 3' });
    expect(() => s.sim.trigger('vehicle_pass')).toThrow(/does not emit vehicle_pass/);
  });

  it('answers self_test with accepted → in_progress → succeeded and set_report_interval with succeeded', () => {
    const s = setup({ id: 'cp-2-panic', type: 'panic_button', checkpointId: 'cp-2' }, { randomEvents: false });
    s.sim.start();
    s.sim.handleCommand({ id: 'st-1', tsMs: 1, issuer: 't', action: 'self_test' });
    s.advance(2500);
    expect(s.acks.filter((a) => a.id === 'st-1').map((a) => a.state)).toEqual(['accepted', 'in_progress', 'succeeded']);
    s.sim.handleCommand({ id: 'ri-1', tsMs: 1, issuer: 't', action: 'set_report_interval', intervalS: 5 });
    expect(s.acks.at(-1)).toMatchObject({ id: 'ri-1', state: 'succeeded' });
    const before = s.telemetry.length;
    s.advance(20_000);
    expect(s.telemetry.length - before).toBeGreaterThanOrEqual(4);
    s.scheduler.close();
  });
});

describe('Scheduler', () => {
  it('runs tasks in deadline order and skips cancelled ones', () => {
    let now = 0;
    const sch = new Scheduler({ nowMs: () => now });
    const order: number[] = [];
    const delays = [50, 10, 30, 20, 40, 10, 60];
    delays.forEach((d, i) => sch.after(d, () => order.push(i)));
    const cancelled = sch.after(25, () => order.push(99));
    sch.cancel(cancelled);
    now = 100;
    sch.runDue();
    expect(order).toEqual([1, 5, 3, 2, 4, 0, 6]);
    sch.close();
  });

  it('keeps first-in, first-out order for equal deadlines across many random tasks', () => {
    let now = 0;
    const sch = new Scheduler({ nowMs: () => now });
    const rng = createRng(3);
    const fired: [number, number][] = [];
    for (let i = 0; i < 500; i++) {
      const d = rng.int(0, 50);
      sch.after(d, () => fired.push([d, i]));
    }
    now = 100;
    sch.runDue();
    expect(fired).toHaveLength(500);
    const sorted = [...fired].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    expect(fired).toEqual(sorted);
    sch.close();
  });
});
