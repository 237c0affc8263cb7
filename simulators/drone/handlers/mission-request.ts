import type { common } from 'node-mavlink';
import type { Handler } from './index.ts';

/** Download: MISSION_REQUEST_INT → MISSION_ITEM_INT. */
export const handleMissionRequestInt: Handler<common.MissionRequestInt> = (v, peer, m) => {
  v.transfer.onRequest(peer, m.seq, m.missionType ?? 0, false);
};

/** Download with the legacy MISSION_REQUEST → MISSION_ITEM (float degrees). */
export const handleMissionRequest: Handler<common.MissionRequest> = (v, peer, m) => {
  v.transfer.onRequest(peer, m.seq, m.missionType ?? 0, true);
};
