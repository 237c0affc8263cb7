import { common } from 'node-mavlink';
import type { Handler } from './index.ts';

/** MISSION_SET_CURRENT: ArduPilot answers with MISSION_CURRENT (unchanged when the seq is invalid). */
export const handleMissionSetCurrent: Handler<common.MissionSetCurrent> = (v, peer, m) => {
  const ok = v.ap.mission.setCurrent(m.seq, v.ap.mode === 'AUTO' && v.ap.armed, v.nowMs);
  if (!ok) v.text(common.MavSeverity.WARNING, `Mission: invalid seq ${m.seq}`);
  const reply = v.buildOnce(common.MissionCurrent.MSG_ID);
  if (reply) v.send(peer.ch, reply);
};
