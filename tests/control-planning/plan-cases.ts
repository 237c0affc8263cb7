import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSite, type Site } from '../../site/load.ts';
import { loadSecretsFile } from '../../site/secrets-file.ts';
import { fleetFromSite, type PlanInput } from '../../control/planning/plan.ts';
import type { PatrolPlan } from '../../control/planning/types.ts';
import { controlBenchSite } from '../../bench/lib/control-site.ts';
import { writeUpBenchSite } from '../../bench/lib/up-site.ts';

/**
 * Planner inputs whose plans were fingerprinted before the planner was made fast, so a
 * speed-up can be shown to leave every plan exactly as it was: the demo site, the
 * bench:control site at 60 and 300 drones (the 300 with a worn, partly unavailable fleet
 * and a dispatch reserve), and the bench:up site at 1,000 drones and 2,000 sensors.
 */
export const NOW_MS = Date.UTC(2026, 10, 30, 8, 0, 0);

/** The bench:up site (bench/lib/up-site.ts) as `ringwatch up` loads it. */
export function upBenchSite(drones: number): Site {
  const dir = mkdtempSync(join(tmpdir(), 'rw-plan-cases-'));
  try {
    return loadSite(writeUpBenchSite(dir, { drones, sensors: 2000, probes: 0, firstDronePort: 40_000 }).siteFile);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A fleet mid-shift: batteries between 20 and 99 %, every seventh drone unavailable. */
function wornFleet(site: Site): NonNullable<PlanInput['fleet']> {
  return fleetFromSite(site).map((d, i) => ({ ...d, batteryPct: 20 + ((i * 37) % 80), available: i % 7 !== 3 }));
}

export function planCases(): { name: string; input: () => PlanInput }[] {
  const demo = loadSite('sites/demo.yaml');
  const secrets = loadSecretsFile('sites/demo.secrets.yaml');
  return [
    { name: 'demo site', input: () => ({ site: demo, nowMs: NOW_MS }) },
    { name: 'bench:control, 60 drones', input: () => ({ site: controlBenchSite(demo, secrets, { drones: 60, speakers: 0 }).site, nowMs: NOW_MS }) },
    {
      name: 'bench:control, 300 drones, worn fleet, reserve 3, 3 h horizon',
      input: () => {
        const site = controlBenchSite(demo, secrets, { drones: 300, speakers: 0 }).site;
        return { site, nowMs: NOW_MS, fleet: wornFleet(site), options: { dispatchReserve: 3, horizonS: 3 * 3600 } };
      },
    },
    { name: 'bench:up, 1,000 drones, 2,000 sensors', input: () => ({ site: upBenchSite(1000), nowMs: NOW_MS }) },
  ];
}

/** SHA-256 of the plan as the API serialises it: any change to any figure changes it. */
export function planFingerprint(plan: PatrolPlan): string {
  return createHash('sha256').update(JSON.stringify(plan)).digest('hex');
}
