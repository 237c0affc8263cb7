import type { common } from 'node-mavlink';
import type { Handler } from './index.ts';

export const handleMissionClearAll: Handler<common.MissionClearAll> = (v, peer, m) => {
  v.transfer.onClearAll(peer, m.missionType ?? 0);
};
