import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { loadSite, parseSite } from '../../site/load.ts';
import { pointInShape } from '../../site/geometry.ts';
import { LocalFrame } from '../../control/geo/local-frame.ts';
import { ARDUCOPTER_LIMITS } from '../../control/planning/lap-time.ts';
import { DrainMeter, returnNeed } from '../../control/planning/return-reserve.ts';
import { siteFence } from '../../control/planning/site-fence.ts';
import { AchievedSpeed } from '../../control/ops/achieved-speed.ts';
import { RevisitMeter } from '../../control/ops/revisit-meter.ts';

const demo = loadSite('sites/demo.yaml');
const frame = new LocalFrame({ latDeg: 30.27, lonDeg: 120.065 });
const base = { distanceHomeM: 2000, homeSpeedMps: 10, reservePct: 25, landingS: 45, flight: ARDUCOPTER_LIMITS };

describe('return decision from the reported battery', () => {
  it('keeps the reserve plus the way home at the real drain rate', () => {
    const model = returnNeed({ ...base, batteryPct: 40, drainPctPerS: 100 / 1800 });
    // 2 km at 10 m/s with its ramps (~211 s) + 45 s landing at 0.056 %/s ≈ 14 %.
    expect(model.needPct).toBeGreaterThan(25 + 13);
    expect(model.needPct).toBeLessThan(25 + 16);
    expect(model.mustReturn).toBe(false);
    // SITL's real rate (100 → 18 % in 6.5 min ≈ 0.21 %/s): the same 40 % is not enough.
    const real = returnNeed({ ...base, batteryPct: 40, drainPctPerS: 82 / 390 });
    expect(real.mustReturn).toBe(true);
    expect(real.spareS).toBe(0);
  });

  it('measures drain only over a long enough window, and never trusts it below the model', () => {
    const m = new DrainMeter(100 / 1800);
    m.sample(0, 100);
    m.sample(10_000, 98);
    expect(m.measuredPctPerS).toBeUndefined();
    expect(m.pctPerS).toBeCloseTo(100 / 1800, 9);
    m.sample(60_000, 88);
    expect(m.measuredPctPerS).toBeCloseTo(0.2, 6);
    expect(m.pctPerS).toBeCloseTo(0.2, 6);
    const slow = new DrainMeter(100 / 1800);
    slow.sample(0, 100);
    slow.sample(120_000, 98);
    expect(slow.pctPerS).toBeCloseTo(100 / 1800, 9);
    // A battery swap restarts the window.
    m.sample(70_000, 100);
    expect(m.measuredPctPerS).toBeUndefined();
  });
});

describe('the site fence', () => {
  const fence = siteFence(demo, frame, 50);

  it('is one inclusion polygon round the control ring plus the margin, and one exclusion per no-fly zone', () => {
    expect(fence.steps[0]).toEqual({ kind: 'fence_inclusion', points: fence.inclusion });
    expect(fence.inclusion.length).toBeGreaterThanOrEqual(3);
    const control = demo.rings.at(-1)!;
    // Every vertex lies outside the ring itself (grown by the margin), never inside a no-fly zone.
    for (const p of fence.inclusion) expect(pointInShape(p, control.shape)).toBe(false);
    expect(fence.exclusionCount).toBe(demo.noFlyZones.length);
    // One exclusion per zone, as the site draws it and in the site's order (the order an
    // autopilot needs is the encoder's business): circles stay circles.
    expect(fence.steps.slice(1)).toEqual(
      demo.noFlyZones.map((z) =>
        z.shape.type === 'circle' ? { kind: 'fence_exclusion_circle', center: z.shape.center, radiusM: z.shape.radiusM } : { kind: 'fence_exclusion', points: z.shape.points },
      ),
    );
    expect(fence.problems).toEqual([]);
  });

  it('names a dock left outside it (the autopilot would refuse to arm there)', () => {
    const doc = parse(readFileSync('sites/demo.yaml', 'utf8'));
    doc.drones[0].dock = { ...doc.drones[0].dock, latDeg: 30.4, lonDeg: 120.3 };
    const far = siteFence(parseSite(stringify(doc), 'edited.yaml'), frame, 50);
    expect(far.problems).toHaveLength(1);
    expect(far.problems[0]).toMatch(/dock of drone-1 lies outside the control ring fence/);
  });
});

describe('achieved speed and measured revisit', () => {
  it('caps estimates by what a drone flew on a long leg, and forgets once it flies its command', () => {
    const s = new AchievedSpeed();
    s.startLeg('d', 18, 1500, 90);
    for (let i = 0; i < 30; i++) s.sample('d', 10);
    s.endLeg('d');
    expect(s.speedMps('d', 18)).toBeCloseTo(10, 6);
    // A short hop proves nothing either way.
    s.startLeg('d', 18, 100, 90);
    s.sample('d', 6);
    s.endLeg('d');
    expect(s.speedMps('d', 18)).toBeCloseTo(10, 6);
    s.startLeg('d', 18, 1500, 90);
    for (let i = 0; i < 30; i++) s.sample('d', 17.8);
    s.endLeg('d');
    expect(s.speedMps('d', 18)).toBe(18);
  });

  it('times passes per point by any drone (revisit) and by the same drone (lap)', () => {
    const m = new RevisitMeter();
    // Two drones half a lap apart on a 480 s loop.
    m.pass('a', 0, 0);
    m.pass('b', 0, 240_000);
    m.pass('a', 0, 480_000);
    m.pass('b', 0, 720_000);
    expect(m.revisitIntervalS).toBeCloseTo(240, 6);
    expect(m.lapS).toBeCloseTo(480, 6);
    expect(m.passes).toBe(4);
  });
});
