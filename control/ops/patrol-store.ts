import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Autopilot } from '../vehicle/modes.ts';
import type { PlanItem } from '../vehicle/plan-item.ts';
import type { RingPatrolState, SortieState } from './patrol-service.ts';

/** What the vehicle was given for a sortie: the mission as encoded and sent (read back and matched at launch). */
export interface SortieMission {
  autopilot: Autopilot;
  items: PlanItem[];
  /** sha256 of the items as sent: the mission's identity in logs and the file. */
  hash: string;
}

export interface SavedSortie extends SortieState {
  mission?: SortieMission;
}

export interface SavedRing extends Omit<RingPatrolState, 'sorties' | 'revisit'> {
  sorties: SavedSortie[];
}

/** The running patrols as a restarted control needs them to re-adopt drones in the air. */
export interface PatrolSnapshot {
  version: 1;
  savedAtMs: number;
  rings: SavedRing[];
}

/** The mission's identity: the same items give the same hash. */
export function missionHash(items: PlanItem[]): string {
  return createHash('sha256').update(JSON.stringify(items)).digest('hex');
}

/**
 * The patrol state file in control's data directory (0600: it says where drones fly).
 * Written whole on every change, through a temporary file and a rename, so a kill -9
 * mid-write leaves the previous state rather than a torn file.
 */
export class PatrolFile {
  constructor(readonly path: string) {}

  /** The last saved state, or undefined when there is none; throws naming the file when it is unreadable. */
  load(): PatrolSnapshot | undefined {
    if (!existsSync(this.path)) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (err) {
      throw new Error(`${this.path}: not JSON (${(err as Error).message})`, { cause: err });
    }
    const p = parsed as Partial<PatrolSnapshot>;
    if (p.version !== 1 || typeof p.savedAtMs !== 'number' || !Array.isArray(p.rings)) {
      throw new Error(`${this.path}: not a patrol state file (version 1 with savedAtMs and rings expected)`);
    }
    for (const [i, r] of p.rings.entries()) {
      if (typeof r?.ringId !== 'string' || typeof r.active !== 'boolean' || !Array.isArray(r.sorties)) {
        throw new Error(`${this.path}: rings[${i}] needs ringId, active and sorties`);
      }
    }
    return p as PatrolSnapshot;
  }

  save(snap: PatrolSnapshot): void {
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(snap), { mode: 0o600 });
    // writeFileSync's mode applies only when it creates the file.
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.path);
  }
}
