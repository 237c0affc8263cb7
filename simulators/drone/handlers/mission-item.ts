import { common } from 'node-mavlink';
import { GLOBAL_FRAMES, type StoredItem } from '../model/mission-store.ts';
import type { Handler } from './index.ts';

export const handleMissionItemInt: Handler<common.MissionItemInt> = (v, peer, m) => {
  v.transfer.onItem(peer, stored(m, m.x, m.y), v.nowMs);
};

/** Legacy MISSION_ITEM: float degrees, converted as ArduPilot's convert_MISSION_ITEM_to_MISSION_ITEM_INT does. */
export const handleMissionItem: Handler<common.MissionItem> = (v, peer, m) => {
  const global = GLOBAL_FRAMES.has(m.frame);
  v.transfer.onItem(peer, stored(m, global ? Math.round(m.x * 1e7) : m.x, global ? Math.round(m.y * 1e7) : m.y), v.nowMs, true);
};

function stored(m: common.MissionItemInt | common.MissionItem, x: number, y: number): StoredItem {
  return {
    seq: m.seq, frame: m.frame, command: m.command, current: m.current, autocontinue: m.autocontinue,
    param1: m.param1, param2: m.param2, param3: m.param3, param4: m.param4, x, y, z: m.z, missionType: m.missionType ?? 0,
  };
}
