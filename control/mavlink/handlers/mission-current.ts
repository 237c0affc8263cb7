import type { common } from 'node-mavlink';
import type { Handler } from './types.ts';

/**
 * MISSION_CURRENT: active item and (MAVLink 2 extensions) total items and mission state;
 * PX4 says NO_MISSION for a stored mission that failed its feasibility check.
 */
export const handleMissionCurrent: Handler = (v, m) => {
  const c = m.data as common.MissionCurrent;
  v.telemetryState.missionSeq = c.seq;
  const total = c.total !== undefined && c.total !== 65535 ? c.total : undefined;
  if (total !== undefined && total > 0) v.telemetryState.missionCount = total;
  const prev = v.telemetryState.missionCurrent;
  v.telemetryState.missionCurrent = { count: (prev?.count ?? 0) + 1, state: c.missionState ?? 0, total: total ?? (c.total === 65535 ? 0 : undefined) };
};
