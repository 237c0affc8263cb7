import type { common } from 'node-mavlink';
import type { Handler } from './index.ts';

export const handleMissionRequestList: Handler<common.MissionRequestList> = (v, peer, m) => {
  v.transfer.onRequestList(peer, m.missionType ?? 0);
};
