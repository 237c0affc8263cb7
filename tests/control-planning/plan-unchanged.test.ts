import { describe, expect, it } from 'vitest';
import { planPatrol } from '../../control/planning/plan.ts';
import { planCases, planFingerprint } from './plan-cases.ts';

/**
 * Fingerprints of the plans the planner made before it was made fast (commit d936f17,
 * where the 1,000-drone bench:up site took 12.9 s): the speed-ups must not move a single
 * figure. When the planner's behaviour changes on purpose, print the new fingerprints
 * and replace these, saying why in the commit.
 */
const BEFORE: Record<string, string> = {
  'demo site': 'e686597e26f58a0f46815dd5b892d953ea8504acbe6168ffb0679dae0c570003',
  'bench:control, 60 drones': '6423f3ed0fb8405ca81e970711a9a8637479f303f95632cbeb1a187270fc2cca',
  'bench:control, 300 drones, worn fleet, reserve 3, 3 h horizon': '636e79f266d58525e706045775a7bfbfa9582b292fda813f31dfdaa9b23fd6d0',
  'bench:up, 1,000 drones, 2,000 sensors': 'cc6df0c87098776cbe3cc7c89fd98e18f8fd3ec1f41836117d474ef0d0ebbe0c',
};

describe('the fast planner plans exactly what the slow one did', () => {
  for (const c of planCases()) {
    it(c.name, { timeout: 60_000 }, () => {
      const plan = planPatrol(c.input());
      expect(plan.rings.every((r) => r.sorties.length > 0)).toBe(true);
      expect(planFingerprint(plan)).toBe(BEFORE[c.name]);
    });
  }
});
