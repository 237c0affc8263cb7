import type { common } from 'node-mavlink';
import type { Handler } from './types.ts';

/** MISSION_CURRENT: active item and (MAVLink 2 extension) total items. */
export const handleMissionCurrent: Handler = (v, m) => {
  const c = m.data as common.MissionCurrent;
  v.telemetryState.missionSeq = c.seq;
  if (c.total !== undefined && c.total !== 65535 && c.total > 0) v.telemetryState.missionCount = c.total;
};
