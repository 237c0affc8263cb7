import type { common } from 'node-mavlink';
import type { Handler } from './index.ts';

/** The GCS's MISSION_ACK ends a download (nothing to do) or cancels our upload. */
export const handleMissionAck: Handler<common.MissionAck> = (v, peer, m) => {
  v.transfer.onAck(peer, m.missionType ?? 0, m.type);
};
