import { afterEach, describe, expect, it } from 'vitest';
import { loadSite } from '../../site/load.ts';
import { loadSecretsFile } from '../../site/secrets-file.ts';
import { planPatrol } from '../../control/planning/plan.ts';
import { PlanRunner, type PlanOutcome } from '../../control/ops/plan-runner.ts';
import { controlBenchSite } from '../../bench/lib/control-site.ts';
import { NOW_MS, planFingerprint, upBenchSite } from './plan-cases.ts';

const demo = loadSite('sites/demo.yaml');
const bench300 = controlBenchSite(demo, loadSecretsFile('sites/demo.secrets.yaml'), { drones: 300, speakers: 0 }).site;
const runners: PlanRunner[] = [];
const runner = (...args: ConstructorParameters<typeof PlanRunner>) => {
  const r = new PlanRunner(...args);
  runners.push(r);
  return r;
};
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.close()));
});

const planOf = (o: PlanOutcome) => {
  if (o.kind !== 'plan') throw new Error(`refused: ${o.message}`);
  return o.plan;
};

describe('patrol plans in the planning worker', () => {
  it('are the plans the planner makes on the calling thread', { timeout: 30_000 }, async () => {
    const r = runner(bench300);
    const input = { nowMs: NOW_MS, options: { horizonS: 3600 } };
    expect(planFingerprint(planOf(await r.plan(input)))).toBe(planFingerprint(planPatrol({ site: bench300, ...input })));
  });

  it('refuse a plan over the time budget, and the next plan gets a fresh worker', { timeout: 30_000 }, async () => {
    // 300 drones take ~90 ms to plan; 5 ms cannot be met.
    const r = runner(bench300, { budgetMs: 5, maxQueued: 2, maxHeapMb: 256 });
    const first = await r.plan({ nowMs: NOW_MS });
    expect(first).toEqual({ kind: 'limit', message: 'planning took longer than 5 ms, the time budget' });
    expect((await r.plan({ nowMs: NOW_MS })).kind).toBe('limit');
  });

  it('refuse as busy past the queue, and plan the ones they accepted', { timeout: 30_000 }, async () => {
    const r = runner(demo, { budgetMs: 10_000, maxQueued: 1, maxHeapMb: 256 });
    const outcomes = await Promise.all([r.plan({ nowMs: NOW_MS }), r.plan({ nowMs: NOW_MS + 1 }), r.plan({ nowMs: NOW_MS + 2 })]);
    expect(outcomes.map((o) => o.kind)).toEqual(['plan', 'plan', 'busy']);
    expect(outcomes[2]).toMatchObject({ message: '2 patrol plans are already being made; try again shortly' });
  });

  it('leave the event loop free while 1,000 drones are planned', { timeout: 60_000 }, async () => {
    const r = runner(upBenchSite(1000));
    let lastMs = performance.now();
    let maxLagMs = 0;
    const tick = setInterval(() => {
      const now = performance.now();
      maxLagMs = Math.max(maxLagMs, now - lastMs - 10);
      lastMs = now;
    }, 10);
    const t0 = performance.now();
    const plan = planOf(await r.plan({ nowMs: NOW_MS }));
    const tookMs = performance.now() - t0;
    clearInterval(tick);
    expect(plan.rings.reduce((n, ring) => n + ring.drones.length, 0)).toBe(1000);
    // On the event loop the whole plan would be one lag; in the worker the loop keeps turning.
    expect(maxLagMs).toBeLessThan(tookMs / 2);
  });
});
