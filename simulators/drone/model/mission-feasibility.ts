import { common } from 'node-mavlink';
import type { Fence } from './fence.ts';
import type { LatLon } from './geo.ts';
import type { StoredItem } from './mission-store.ts';

const Cmd = common.MavCmd;

/** MissionBlock::item_contains_position: the items PX4 checks against the fence. */
const POSITION_ITEMS: ReadonlySet<number> = new Set<number>([
  Cmd.NAV_WAYPOINT, Cmd.NAV_LOITER_UNLIM, Cmd.NAV_LOITER_TIME, Cmd.NAV_LAND, Cmd.NAV_TAKEOFF, Cmd.NAV_LOITER_TO_ALT,
  Cmd.NAV_VTOL_TAKEOFF, Cmd.NAV_VTOL_LAND,
]);

export interface Feasibility {
  valid: boolean;
  /** The STATUSTEXT PX4 sends for a failed check (critical), tab included as PX4 sends it. */
  text?: string;
}

/**
 * PX4's MissionFeasibilityChecker::checkMissionAgainstGeofence (navigator, main March
 * 2026), run when a mission or fence arrives and home is valid: every position item,
 * numbered from 1 in the uploaded list, must lie inside the fence as PX4 read it; the
 * first that does not invalidates the whole mission ("Geofence violation for waypoint
 * N"), and MISSION_START is then denied. Altitude limits are not modelled (GF_MAX_VER_DIST
 * and the fence file's band are off by default). Pure.
 */
export function checkMissionAgainstFence(items: readonly StoredItem[], fence: Fence): Feasibility {
  if (items.length === 0) return { valid: false };
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    if (!POSITION_ITEMS.has(it.command)) continue;
    const p: LatLon = { latDeg: it.x / 1e7, lonDeg: it.y / 1e7 };
    if (fence.breach(p)) return { valid: false, text: `Geofence violation for waypoint ${i + 1}\t` };
  }
  return { valid: true };
}
