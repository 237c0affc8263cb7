import type { common } from 'node-mavlink';
import type { Handler } from './index.ts';

export const handleMissionCount: Handler<common.MissionCount> = (v, peer, m) => {
  v.transfer.onCount(peer, m.count, m.missionType ?? 0, v.nowMs);
};
